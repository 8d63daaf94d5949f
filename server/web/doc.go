// Package web is the server's HTTP front (immudb's :8080, API.md §1): the
// REST gateway, the OpenAPI documents with a Swagger UI page, and a small
// landing page.
//
// Routes of the handler built by NewHandler:
//   - /api/…     the grpc-gateway mux of api/gateway, prefix stripped
//   - /api/v2/…  the same mux again, prefix stripped (sessions, REST v2)
//   - /api/docs/ Swagger UI (vendored swagger-ui-dist, assets/swagger-ui);
//     /api/docs/swagger.json and /api/docs/authorization.swagger.json
//   - /          the landing page; anything else outside /api is 404
//
// REST calls are not served in-process: the gateway forwards them over a
// gRPC connection the server hands in (Dial builds one to the server's own
// listener), so REST goes through the same interceptors, authentication
// and metrics as gRPC.
//
// Invariants: request bodies are capped (maxBodyBytes) so a REST client
// cannot make the gateway buffer more than the gRPC limit allows; the
// embedded documents are served as generated except that the ImmuService
// document gets basePath /api, so Swagger UI's "try it out" hits the
// gateway.
//
// Locking: the handler is immutable once built and safe for concurrent
// use; Server holds only its listener and http.Server.
package web
