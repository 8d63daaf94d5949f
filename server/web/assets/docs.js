// Starts Swagger UI on the document chosen by ?spec= (default: ImmuService).
(function () {
  var specs = { authorization: "authorization.swagger.json" };
  var name = new URLSearchParams(window.location.search).get("spec");
  window.ui = SwaggerUIBundle({
    url: specs[name] || "swagger.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
  });
})();
