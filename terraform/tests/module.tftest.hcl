# The root module: the composition of modules/function and
# modules/http-authorizer with a new HTTP API (each submodule has its own
# tests beside it). Plan-time, against a mocked AWS provider (no network).

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
  mock_data "aws_kms_public_key" {
    defaults = {
      public_key_pem           = "-----BEGIN PUBLIC KEY-----\nMOCK\n-----END PUBLIC KEY-----\n"
      customer_master_key_spec = "ECC_NIST_P521"
      key_usage                = "SIGN_VERIFY"
      signing_algorithms       = ["ECDSA_SHA_512"]
    }
  }
  mock_resource "aws_kms_key" {
    defaults = {
      arn    = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
      key_id = "11111111-2222-3333-4444-555555555555"
    }
  }
  mock_resource "aws_kms_alias" {
    defaults = { arn = "arn:aws:kms:us-east-1:123456789012:alias/jwt-authorizer" }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/jwt-authorizer-function", id = "jwt-authorizer-function" }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/jwt-authorizer" }
  }
  mock_resource "aws_lambda_function" {
    defaults = {
      arn           = "arn:aws:lambda:us-east-1:123456789012:function:jwt-authorizer"
      invoke_arn    = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:jwt-authorizer/invocations"
      version       = "7"
      qualified_arn = "arn:aws:lambda:us-east-1:123456789012:function:jwt-authorizer:7"
    }
  }
  mock_resource "aws_lambda_alias" {
    defaults = {
      arn        = "arn:aws:lambda:us-east-1:123456789012:function:jwt-authorizer:live"
      invoke_arn = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:jwt-authorizer:live/invocations"
    }
  }
  mock_resource "aws_apigatewayv2_api" {
    defaults = {
      id            = "abc123defg"
      execution_arn = "arn:aws:execute-api:us-east-1:123456789012:abc123defg"
      api_endpoint  = "https://abc123defg.execute-api.us-east-1.amazonaws.com"
    }
  }
  mock_resource "aws_apigatewayv2_authorizer" {
    defaults = { id = "auth123" }
  }
  mock_resource "aws_apigatewayv2_integration" {
    defaults = { id = "integ12" }
  }
  mock_resource "aws_apigatewayv2_stage" {
    defaults = { invoke_url = "https://abc123defg.execute-api.us-east-1.amazonaws.com/" }
  }
}

variables {
  lambda_zip_path = "tests/fixtures/bootstrap.zip"
  issuer          = "https://issuer.example.com"
  audience        = ["api", "api2"]
  routes = {
    "GET /hello" = { integration_uri = "https://backend.example.com/hello" }
  }
}

run "every_route_is_protected_by_the_authorizer_on_the_alias" {
  command = plan
  assert {
    condition     = aws_apigatewayv2_route.route["GET /hello"].authorization_type == "CUSTOM" && aws_apigatewayv2_route.route["GET /hello"].authorizer_id == "auth123"
    error_message = "every route is protected by the authorizer"
  }
  assert {
    condition     = output.authorizer_id == "auth123" && endswith(output.invoke_arn, ":live/invocations")
    error_message = "the authorizer invokes the alias"
  }
}

run "stage_throttling_and_http_api_access_logs" {
  command = plan
  variables {
    throttling_rate_limit  = 250
    throttling_burst_limit = 125
  }
  assert {
    condition     = aws_apigatewayv2_stage.stage.default_route_settings[0].throttling_rate_limit == 250 && aws_apigatewayv2_stage.stage.default_route_settings[0].throttling_burst_limit == 125
    error_message = "throttling variables reach the stage"
  }
  assert {
    condition = alltrue([for v in ["$context.authorizer.error", "$context.error.responseType", "$context.integrationErrorMessage", "$context.integrationLatency"] :
    strcontains(aws_apigatewayv2_stage.stage.access_log_settings[0].format, v)])
    error_message = "access logs carry the HTTP API's authorizer and error fields"
  }
  assert {
    condition     = !strcontains(aws_apigatewayv2_stage.stage.access_log_settings[0].format, "$context.authorizer.status") && !strcontains(aws_apigatewayv2_stage.stage.access_log_settings[0].format, "$context.authorizer.latency")
    error_message = "no REST-only access log variables on an HTTP API"
  }
}

run "rejects_ttl_above_3600" {
  command = plan
  variables {
    cache_ttl_seconds = 3601
  }
  expect_failures = [var.cache_ttl_seconds]
}

run "rejects_zero_throttling" {
  command = plan
  variables {
    throttling_rate_limit = 0
  }
  expect_failures = [var.throttling_rate_limit]
}

run "rejects_zero_burst" {
  command = plan
  variables {
    throttling_burst_limit = 0
  }
  expect_failures = [var.throttling_burst_limit]
}

run "rejects_bad_route_keys" {
  command = plan
  variables {
    routes = { "hello" = { integration_uri = "https://x.example" } }
  }
  expect_failures = [var.routes]
}

run "outputs_describe_the_deployment_for_the_harness" {
  command = plan
  assert {
    condition     = output.log_group_name == "/aws/lambda/${var.name}" && output.function_name == var.name
    error_message = "function name and log group"
  }
  assert {
    condition     = output.stage_name == var.stage_name && output.region == "us-east-1"
    error_message = "stage name and region"
  }
  assert {
    condition = output.kids == [
      "11111111-2222-3333-4444-555555555555",
      "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555",
      "alias/${var.name}",
    ]
    error_message = "the kids bound to the key"
  }
}
