// Command hello is the yardstick of scripts/load-api: a plain Fiber
// handler that answers a short JSON body, with the same Fiber version and
// the same server settings that matter for speed as solidarity's.
//
//	go run ./web/hello -addr 127.0.0.1:18091
//
// It lives under web/ because only web/ imports Fiber.
package main

import (
	"flag"
	"log"

	"github.com/gofiber/fiber/v2"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:18091", "address to listen on")
	flag.Parse()
	app := fiber.New(fiber.Config{DisableStartupMessage: true, Immutable: true})
	body := []byte(`{"hello":"world"}`)
	app.Get("/hello", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		return c.Send(body)
	})
	log.Fatal(app.Listen(*addr))
}
