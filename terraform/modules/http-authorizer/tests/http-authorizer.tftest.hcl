# Plan-time assertions on the http-authorizer module against a mocked AWS provider (no network).

mock_provider "aws" {
  override_during = plan

  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012", arn = "arn:aws:iam::123456789012:user/ci", user_id = "AIDATEST" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws", dns_suffix = "amazonaws.com" }
  }
  mock_data "aws_region" {
    defaults = { name = "us-east-1" }
  }
  mock_resource "aws_apigatewayv2_authorizer" {
    defaults = { id = "auth123" }
  }
}

variables {
  api_id        = "abc123defg"
  function_name = "jwt-authorizer"
  invoke_arn    = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:jwt-authorizer:live/invocations"
  alias_name    = "live"
}

run "authorizer_wiring" {
  command = plan
  assert {
    condition     = aws_apigatewayv2_authorizer.this.authorizer_type == "REQUEST" && aws_apigatewayv2_authorizer.this.authorizer_payload_format_version == "2.0"
    error_message = "REQUEST authorizer, payload 2.0"
  }
  assert {
    condition     = aws_apigatewayv2_authorizer.this.enable_simple_responses == true && aws_apigatewayv2_authorizer.this.api_id == "abc123defg"
    error_message = "simple responses, on the API given"
  }
  assert {
    condition     = aws_apigatewayv2_authorizer.this.identity_sources == toset(["$request.header.Authorization"])
    error_message = "identity source is the Authorization header"
  }
  assert {
    condition     = aws_apigatewayv2_authorizer.this.authorizer_result_ttl_in_seconds == 300
    error_message = "default TTL 300"
  }
  assert {
    condition     = aws_lambda_permission.this.source_arn == "arn:aws:execute-api:us-east-1:123456789012:abc123defg/authorizers/auth123" && aws_lambda_permission.this.qualifier == "live"
    error_message = "the invoke permission is scoped to this authorizer and the alias"
  }
  assert {
    condition     = length(aws_apigatewayv2_route.this) == 0
    error_message = "no route unless asked"
  }
}

run "routes_given_as_a_map_are_protected" {
  command = plan
  variables {
    routes = { "GET /orders" = { target = "integrations/abc1234" } }
  }
  assert {
    condition     = aws_apigatewayv2_route.this["GET /orders"].authorization_type == "CUSTOM" && aws_apigatewayv2_route.this["GET /orders"].authorizer_id == "auth123"
    error_message = "each route uses the authorizer"
  }
}

run "ttl_reaches_the_authorizer" {
  command = plan
  variables {
    cache_ttl_seconds = 0
  }
  assert {
    condition     = aws_apigatewayv2_authorizer.this.authorizer_result_ttl_in_seconds == 0
    error_message = "TTL variable reaches the authorizer"
  }
}

run "rejects_ttl_above_3600" {
  command = plan
  variables {
    cache_ttl_seconds = 3601
  }
  expect_failures = [var.cache_ttl_seconds]
}

run "rejects_no_identity_source" {
  command = plan
  variables {
    identity_sources = []
  }
  expect_failures = [var.identity_sources]
}

run "rejects_a_bad_route_key" {
  command = plan
  variables {
    routes = { "orders" = { target = "integrations/abc1234" } }
  }
  expect_failures = [var.routes]
}

run "rejects_an_invoke_arn_that_is_not_one" {
  command = plan
  variables {
    invoke_arn = "arn:aws:lambda:us-east-1:123456789012:function:jwt-authorizer"
  }
  expect_failures = [var.invoke_arn]
}
