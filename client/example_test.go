package client_test

import (
	"context"
	"fmt"
	"log"

	"github.com/attestdb/attestdb/client"
)

// A session, a verified write and a verified read. The trusted state is
// kept in ./.state-<server UUID>.
func Example() {
	opts := client.DefaultOptions().WithAddress("127.0.0.1").WithPort(3322)
	c, err := client.New(opts)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	if err := c.OpenSession(ctx, []byte("immudb"), []byte("immudb"), "defaultdb"); err != nil {
		log.Fatal(err)
	}
	if _, err := c.VerifiedSet(ctx, []byte("hello"), []byte("world")); err != nil {
		log.Fatal(err) // errors.Is(err, client.ErrCorruptedData) when a proof fails
	}
	e, err := c.VerifiedGet(ctx, []byte("hello"))
	switch {
	case client.IsKeyNotFound(err):
		fmt.Println("missing")
	case err != nil:
		log.Fatal(err)
	default:
		fmt.Printf("%s at tx %d\n", e.Value, e.Tx)
	}
}
