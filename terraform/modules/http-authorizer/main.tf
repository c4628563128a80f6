# A REQUEST authorizer (payload 2.0) on an HTTP API that already exists,
# the permission for API Gateway to invoke the function through that
# authorizer only, and optionally routes that use it. Nothing else: no API,
# no stage, no integration.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

resource "aws_apigatewayv2_authorizer" "this" {
  api_id                            = var.api_id
  name                              = var.name
  authorizer_type                   = "REQUEST"
  authorizer_payload_format_version = "2.0"
  enable_simple_responses           = var.enable_simple_responses
  identity_sources                  = var.identity_sources
  authorizer_result_ttl_in_seconds  = var.cache_ttl_seconds
  authorizer_uri                    = var.invoke_arn
}

# Scoped to this authorizer on this API (never `…/*`), and to the alias
# API Gateway invokes. Created before the old one goes: a replaced
# permission never leaves a moment without one.
resource "aws_lambda_permission" "this" {
  statement_id  = var.permission_statement_id
  action        = "lambda:InvokeFunction"
  function_name = var.function_name
  qualifier     = var.alias_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "arn:${data.aws_partition.current.partition}:execute-api:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:${var.api_id}/authorizers/${aws_apigatewayv2_authorizer.this.id}"

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_apigatewayv2_route" "this" {
  for_each           = var.routes
  api_id             = var.api_id
  route_key          = each.key
  target             = each.value.target
  authorization_type = "CUSTOM"
  authorizer_id      = aws_apigatewayv2_authorizer.this.id
}
