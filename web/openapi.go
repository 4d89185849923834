package web

import (
	_ "embed" // the OpenAPI document
)

// openAPI is the OpenAPI 3.1 description of /api/v1, served at
// /api/v1/openapi.json and checked against real answers in api_test.go.
//
//go:embed openapi.json
var openAPI []byte
