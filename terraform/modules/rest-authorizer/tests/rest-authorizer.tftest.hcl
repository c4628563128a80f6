# Plan-time assertions on the rest-authorizer module against a mocked AWS provider (no network).

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
  mock_resource "aws_api_gateway_authorizer" {
    defaults = { id = "tok123" }
  }
}

variables {
  rest_api_id   = "rest123abc"
  function_name = "jwt-authorizer"
  invoke_arn    = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:jwt-authorizer:live/invocations"
  alias_name    = "live"
}

run "token_authorizer_reads_the_authorization_header" {
  command = plan
  variables {
    identity_validation_expression = "^Bearer [-0-9A-Za-z_.]+$"
  }
  assert {
    condition     = aws_api_gateway_authorizer.this.type == "TOKEN" && aws_api_gateway_authorizer.this.identity_source == "method.request.header.Authorization"
    error_message = "TOKEN on the Authorization header by default"
  }
  assert {
    condition     = aws_api_gateway_authorizer.this.identity_validation_expression == "^Bearer [-0-9A-Za-z_.]+$" && aws_api_gateway_authorizer.this.authorizer_result_ttl_in_seconds == 300
    error_message = "validation expression and TTL"
  }
  assert {
    condition     = aws_lambda_permission.this.source_arn == "arn:aws:execute-api:us-east-1:123456789012:rest123abc/authorizers/tok123" && aws_lambda_permission.this.qualifier == "live"
    error_message = "the invoke permission is scoped to this authorizer and the alias"
  }
}

run "request_authorizer_takes_identity_sources" {
  command = plan
  variables {
    type            = "REQUEST"
    identity_source = "method.request.header.Authorization, method.request.querystring.tenant"
  }
  assert {
    condition     = aws_api_gateway_authorizer.this.type == "REQUEST" && aws_api_gateway_authorizer.this.identity_validation_expression == null
    error_message = "REQUEST, no validation expression"
  }
}

run "rejects_a_validation_expression_on_request" {
  command = plan
  variables {
    type                           = "REQUEST"
    identity_validation_expression = "^Bearer .+$"
  }
  expect_failures = [aws_api_gateway_authorizer.this]
}

run "rejects_an_unknown_type" {
  command = plan
  variables {
    type = "COGNITO_USER_POOLS"
  }
  expect_failures = [var.type]
}

run "rejects_a_bad_identity_source" {
  command = plan
  variables {
    identity_source = "Authorization"
  }
  expect_failures = [var.identity_source]
}
