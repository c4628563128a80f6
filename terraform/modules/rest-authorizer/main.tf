# A Lambda authorizer on a REST API that already exists — TOKEN (the
# Authorization header, optionally screened by a regular expression before
# the function is invoked) or REQUEST (identity sources) — and the
# permission for API Gateway to invoke the function through that authorizer
# only. A method uses it with authorization = "CUSTOM" and authorizer_id.
# A REST deny is the function error `Unauthorized` (401), which counts in
# the function's Errors metric (README.md: alarms).

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  identity_source = coalesce(var.identity_source, "method.request.header.Authorization")
}

resource "aws_api_gateway_authorizer" "this" {
  rest_api_id                      = var.rest_api_id
  name                             = var.name
  type                             = var.type
  authorizer_uri                   = var.invoke_arn
  identity_source                  = local.identity_source
  identity_validation_expression   = var.type == "TOKEN" ? var.identity_validation_expression : null
  authorizer_result_ttl_in_seconds = var.cache_ttl_seconds

  lifecycle {
    precondition {
      condition     = var.type == "TOKEN" || var.identity_validation_expression == null
      error_message = "identity_validation_expression applies to TOKEN authorizers only."
    }
  }
}

resource "aws_lambda_permission" "this" {
  statement_id  = var.permission_statement_id
  action        = "lambda:InvokeFunction"
  function_name = var.function_name
  qualifier     = var.alias_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "arn:${data.aws_partition.current.partition}:execute-api:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:${var.rest_api_id}/authorizers/${aws_api_gateway_authorizer.this.id}"

  lifecycle {
    create_before_destroy = true
  }
}
