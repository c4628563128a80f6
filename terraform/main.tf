# The composition: the authorizer function (modules/function) protecting a
# new HTTP API with its stage, routes and access logs, through a REQUEST
# authorizer (modules/http-authorizer). To protect an API you already have,
# use the two submodules directly (examples/existing-http-api,
# examples/rest-api).

module "function" {
  source = "./modules/function"

  name                      = var.name
  lambda_zip_path           = var.lambda_zip_path
  lambda_kms_zip_path       = var.lambda_kms_zip_path
  metrics                   = var.metrics
  metrics_namespace         = var.metrics_namespace
  create_alarms             = var.create_alarms
  alarm_sns_topic_arn       = var.alarm_sns_topic_arn
  alarm_deny_ratio          = var.alarm_deny_ratio
  alarm_p99_duration_ms     = var.alarm_p99_duration_ms
  publish                   = var.publish
  alias_name                = var.alias_name
  provisioned_concurrency   = var.provisioned_concurrency
  application_log_level     = var.application_log_level
  log_group_skip_destroy    = var.log_group_skip_destroy
  create_role               = var.create_role
  role_arn                  = var.role_arn
  role_path                 = var.role_path
  role_permissions_boundary = var.role_permissions_boundary
  architecture              = var.architecture
  memory_size               = var.memory_size
  timeout_seconds           = var.timeout_seconds
  json_logging              = var.json_logging
  system_log_level          = var.system_log_level
  log_retention_days        = var.log_retention_days
  log_kms_key_arn           = var.log_kms_key_arn
  code_signing_config_arn   = var.code_signing_config_arn
  reserved_concurrency      = var.reserved_concurrency
  xray_tracing              = var.xray_tracing
  kms_deletion_window_days  = var.kms_deletion_window_days
  key_source                = var.key_source
  key_spec                  = var.key_spec
  key_algorithm             = var.key_algorithm
  create_key                = var.create_key
  trusted_keys              = var.trusted_keys
  signer_principal_arns     = var.signer_principal_arns
  issuer                    = var.issuer
  audience                  = var.audience
  leeway_seconds            = var.leeway_seconds
  max_token_bytes           = var.max_token_bytes
  max_lifetime_seconds      = var.max_lifetime_seconds
  require_bearer            = var.require_bearer
  context_claims            = var.context_claims
  tags                      = var.tags
}

# ---- the API --------------------------------------------------------------

resource "aws_apigatewayv2_api" "http" {
  name          = var.name
  protocol_type = "HTTP"
  tags          = var.tags
}

module "http_authorizer" {
  source = "./modules/http-authorizer"

  api_id            = aws_apigatewayv2_api.http.id
  name              = "${var.name}-es512"
  function_name     = module.function.function_name
  invoke_arn        = module.function.invoke_arn
  alias_name        = module.function.alias_name
  cache_ttl_seconds = var.cache_ttl_seconds
}

resource "aws_apigatewayv2_integration" "route" {
  for_each               = var.routes
  api_id                 = aws_apigatewayv2_api.http.id
  integration_type       = each.value.integration_type
  integration_uri        = each.value.integration_uri
  integration_method     = each.value.integration_type == "HTTP_PROXY" ? each.value.integration_method : null
  payload_format_version = each.value.integration_type == "AWS_PROXY" ? "2.0" : "1.0"
}

resource "aws_apigatewayv2_route" "route" {
  for_each           = var.routes
  api_id             = aws_apigatewayv2_api.http.id
  route_key          = each.key
  target             = "integrations/${aws_apigatewayv2_integration.route[each.key].id}"
  authorization_type = "CUSTOM"
  authorizer_id      = module.http_authorizer.authorizer_id
}

resource "aws_cloudwatch_log_group" "access" {
  #checkov:skip=CKV_AWS_158:Access logs hold request metadata only (no Authorization header); var.log_kms_key_arn adds a CMK where policy requires one.
  #checkov:skip=CKV_AWS_338:Retention is var.log_retention_days (default 30 days), the caller's choice.
  name              = "/aws/apigateway/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_kms_key_arn
  tags              = var.tags
}

resource "aws_apigatewayv2_stage" "stage" {
  api_id      = aws_apigatewayv2_api.http.id
  name        = var.stage_name
  auto_deploy = true

  # Both limits set explicitly: route settings without them default to 0,
  # which throttles every request with 429.
  default_route_settings {
    throttling_rate_limit  = var.throttling_rate_limit
    throttling_burst_limit = var.throttling_burst_limit
  }

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.access.arn
    format = jsonencode({
      # HTTP API variables only ($context.authorizer.status and .latency
      # are REST's and log nothing here).
      requestId          = "$context.requestId"
      requestTime        = "$context.requestTime"
      routeKey           = "$context.routeKey"
      status             = "$context.status"
      responseLatency    = "$context.responseLatency"
      integrationLatency = "$context.integrationLatency"
      sourceIp           = "$context.identity.sourceIp"
      authorizerError    = "$context.authorizer.error"
      errorResponseType  = "$context.error.responseType"
      errorMessage       = "$context.error.message"
      principalSub       = "$context.authorizer.sub"
      integrationError   = "$context.integrationErrorMessage"
    })
  }

  tags = var.tags
}

# ---- state from before the split into submodules: one `terraform apply` --
# moves it (the old count migration of the key and alias chains into it).

moved {
  from = aws_kms_key.jwt
  to   = aws_kms_key.jwt[0]
}

moved {
  from = aws_kms_alias.jwt
  to   = aws_kms_alias.jwt[0]
}

moved {
  from = aws_kms_key.jwt[0]
  to   = module.function.aws_kms_key.jwt[0]
}

moved {
  from = aws_kms_alias.jwt[0]
  to   = module.function.aws_kms_alias.jwt[0]
}

moved {
  from = aws_cloudwatch_log_group.function
  to   = module.function.aws_cloudwatch_log_group.function
}

moved {
  from = aws_iam_role.function
  to   = module.function.aws_iam_role.function[0]
}

moved {
  from = aws_iam_role_policy.logs
  to   = module.function.aws_iam_role_policy.logs[0]
}

moved {
  from = aws_iam_role_policy.kms
  to   = module.function.aws_iam_role_policy.kms
}

moved {
  from = aws_iam_role_policy.xray
  to   = module.function.aws_iam_role_policy.xray
}

moved {
  from = aws_lambda_function.authorizer
  to   = module.function.aws_lambda_function.authorizer
}

moved {
  from = aws_apigatewayv2_authorizer.jwt
  to   = module.http_authorizer.aws_apigatewayv2_authorizer.this
}

moved {
  from = aws_lambda_permission.api_gateway
  to   = module.http_authorizer.aws_lambda_permission.this
}
