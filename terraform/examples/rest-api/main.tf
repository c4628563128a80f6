# Attach the authorizer to a REST API (API Gateway v1): one method behind a
# TOKEN authorizer (the Authorization header, screened by a regular
# expression before the function is invoked) and one behind a REQUEST
# authorizer, both invoking the same function (modules/function) through
# modules/rest-authorizer. The API, its resources, methods, integrations,
# deployment and stage stand in for the REST API you own. Against real AWS
# leave endpoint_url unset; against moto set it to moto's URL.
#
# REST access logs need the account's API Gateway CloudWatch role (one per
# region, aws_api_gateway_account); set account_logging_role = true to let
# this example create it, else the account must have one already.

terraform {
  required_version = ">= 1.7.0"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.60.0, < 7.0.0"
    }
  }
}

variable "region" {
  description = "AWS region."
  type        = string
  default     = "us-east-1"
}

variable "endpoint_url" {
  description = "A single endpoint for every service (moto_server); null for real AWS."
  type        = string
  default     = null
}

variable "invoke_url" {
  description = "Where the API is served when API Gateway itself does not serve it: moto has no data plane, so offline runs put the emulator's stage URL here (harness gateway --rest-api-id). null: the stage's invoke URL."
  type        = string
  default     = null
}

variable "lambda_zip_path" {
  description = "The deployment zip (harness package)."
  type        = string
  default     = "../../../target/lambda/authorizer.zip"
}

variable "name" {
  description = "Name prefix."
  type        = string
  default     = "jwt-rest"
}

provider "aws" {
  region                      = var.region
  skip_credentials_validation = var.endpoint_url != null
  skip_requesting_account_id  = var.endpoint_url != null
  skip_metadata_api_check     = var.endpoint_url != null

  dynamic "endpoints" {
    for_each = var.endpoint_url == null ? [] : [var.endpoint_url]
    content {
      apigateway   = endpoints.value
      apigatewayv2 = endpoints.value
      iam          = endpoints.value
      kms          = endpoints.value
      lambda       = endpoints.value
      logs         = endpoints.value
      sts          = endpoints.value
    }
  }
}


variable "account_logging_role" {
  description = "Create the account-wide API Gateway CloudWatch Logs role (aws_api_gateway_account): a setting for the whole account and region."
  type        = bool
  default     = false
}

locals {
  tags = { project = "jwt-authorizer", example = "rest-api" }
}

# ---- the REST API you already have (not the modules') ---------------------

resource "aws_api_gateway_rest_api" "api" {
  name = "${var.name}-api"
  tags = local.tags

  lifecycle {
    create_before_destroy = true
  }

  endpoint_configuration {
    types = ["REGIONAL"]
  }
}

resource "aws_iam_role" "echo" {
  name = "${var.name}-echo"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "lambda.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
  tags = local.tags
}

resource "aws_lambda_function" "echo" {
  #checkov:skip=CKV_AWS_50:A demo echo; X-Ray adds nothing to it.
  #checkov:skip=CKV_AWS_115:A demo echo; the stage's method throttling bounds it.
  #checkov:skip=CKV_AWS_116:Invoked synchronously by API Gateway; a dead-letter queue applies to asynchronous invocations only.
  #checkov:skip=CKV_AWS_117:Reaches no private resource.
  #checkov:skip=CKV_AWS_173:No environment variables.
  #checkov:skip=CKV_AWS_272:A demo echo built from ../complete/echo/index.py.
  function_name    = "${var.name}-echo"
  description      = "Demo backend: echoes what the authorizer granted"
  role             = aws_iam_role.echo.arn
  runtime          = "python3.12"
  handler          = "index.handler"
  filename         = "${path.module}/../complete/echo/echo.zip"
  source_code_hash = filebase64sha256("${path.module}/../complete/echo/echo.zip")
  memory_size      = 128
  timeout          = 3
  tags             = local.tags
}

resource "aws_lambda_permission" "echo" {
  statement_id  = "AllowApiGatewayInvoke"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.echo.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_api_gateway_rest_api.api.execution_arn}/*/*"
}

# GET /hello behind the TOKEN authorizer, GET /hello-request behind the
# REQUEST one: a method uses an authorizer with authorization = "CUSTOM"
# and its authorizer_id.
locals {
  methods = {
    hello           = module.token_authorizer.authorizer_id
    "hello-request" = module.request_authorizer.authorizer_id
  }
}

resource "aws_api_gateway_resource" "path" {
  for_each    = local.methods
  rest_api_id = aws_api_gateway_rest_api.api.id
  parent_id   = aws_api_gateway_rest_api.api.root_resource_id
  path_part   = each.key
}

resource "aws_api_gateway_method" "get" {
  #checkov:skip=CKV2_AWS_53:A GET without a body or parameters to validate.
  for_each      = local.methods
  rest_api_id   = aws_api_gateway_rest_api.api.id
  resource_id   = aws_api_gateway_resource.path[each.key].id
  http_method   = "GET"
  authorization = "CUSTOM"
  authorizer_id = each.value
}

resource "aws_api_gateway_integration" "echo" {
  for_each                = local.methods
  rest_api_id             = aws_api_gateway_rest_api.api.id
  resource_id             = aws_api_gateway_resource.path[each.key].id
  http_method             = aws_api_gateway_method.get[each.key].http_method
  type                    = "AWS_PROXY"
  integration_http_method = "POST"
  uri                     = aws_lambda_function.echo.invoke_arn
}

resource "aws_api_gateway_deployment" "api" {
  rest_api_id = aws_api_gateway_rest_api.api.id
  triggers = {
    redeploy = sha1(jsonencode([for k, m in aws_api_gateway_method.get : [m.id, m.authorizer_id, aws_api_gateway_integration.echo[k].id]]))
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_cloudwatch_log_group" "access" {
  #checkov:skip=CKV_AWS_158:Access logs hold request metadata only (no Authorization header).
  #checkov:skip=CKV_AWS_338:A demo: 30 days.
  name              = "/aws/apigateway/${var.name}"
  retention_in_days = 30
  tags              = local.tags
}

resource "aws_api_gateway_stage" "prod" {
  #checkov:skip=CKV_AWS_73:X-Ray is the team's choice for its own API.
  #checkov:skip=CKV_AWS_120:Caching responses is the team's choice; the authorizer's own TTL caches decisions.
  #checkov:skip=CKV2_AWS_51:Client certificates are the team's choice.
  #checkov:skip=CKV2_AWS_29:WAF is the team's choice.
  #checkov:skip=CKV2_AWS_4:Access logs are on; execution logs (which can carry request details) are left off.
  rest_api_id   = aws_api_gateway_rest_api.api.id
  deployment_id = aws_api_gateway_deployment.api.id
  stage_name    = "prod"
  tags          = local.tags

  # REST API variables ($context.authorizer.status and .latency exist here).
  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.access.arn
    format = jsonencode({
      requestId         = "$context.requestId"
      requestTime       = "$context.requestTime"
      resourcePath      = "$context.resourcePath"
      httpMethod        = "$context.httpMethod"
      status            = "$context.status"
      responseLatency   = "$context.responseLatency"
      sourceIp          = "$context.identity.sourceIp"
      authorizerError   = "$context.authorizer.error"
      authorizerStatus  = "$context.authorizer.status"
      authorizerLatency = "$context.authorizer.latency"
      principalId       = "$context.authorizer.principalId"
      errorResponseType = "$context.error.responseType"
      integrationError  = "$context.integration.error"
    })
  }

  depends_on = [aws_api_gateway_account.logging]
}

# Stage throttling: every method, as the harness reads it (GetStage method
# settings).
resource "aws_api_gateway_method_settings" "all" {
  rest_api_id = aws_api_gateway_rest_api.api.id
  stage_name  = aws_api_gateway_stage.prod.stage_name
  method_path = "*/*"

  #checkov:skip=CKV_AWS_225:Response caching is the team's choice; the authorizer's own TTL caches decisions.
  settings {
    throttling_rate_limit  = 100
    throttling_burst_limit = 50
  }
}

resource "aws_iam_role" "apigateway_logs" {
  count = var.account_logging_role ? 1 : 0
  name  = "${var.name}-apigateway-logs"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "apigateway.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
  tags = local.tags
}

resource "aws_iam_role_policy_attachment" "apigateway_logs" {
  count      = var.account_logging_role ? 1 : 0
  role       = aws_iam_role.apigateway_logs[0].name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
}

resource "aws_api_gateway_account" "logging" {
  count               = var.account_logging_role ? 1 : 0
  cloudwatch_role_arn = aws_iam_role.apigateway_logs[0].arn
}

# ---- what the modules add --------------------------------------------------

module "authorizer_function" {
  source = "../../modules/function"

  name            = var.name
  lambda_zip_path = var.lambda_zip_path
  issuer          = "https://issuer.example.com"
  audience        = ["demo-api"]
  # moto stores functions but has no logging_config support.
  json_logging = var.endpoint_url == null
  # The alias follows $LATEST, so `harness suite --deployment` can force
  # cold starts with a configuration change; production keeps the module's
  # default (publish = true: versioned rollout).
  publish = false
  tags    = local.tags
}

module "token_authorizer" {
  source = "../../modules/rest-authorizer"

  rest_api_id                    = aws_api_gateway_rest_api.api.id
  name                           = "${var.name}-token"
  type                           = "TOKEN"
  identity_validation_expression = "^Bearer [-0-9A-Za-z_.]+$"
  function_name                  = module.authorizer_function.function_name
  invoke_arn                     = module.authorizer_function.invoke_arn
  alias_name                     = module.authorizer_function.alias_name
  permission_statement_id        = "AllowApiGatewayRestToken"
}

module "request_authorizer" {
  source = "../../modules/rest-authorizer"

  rest_api_id             = aws_api_gateway_rest_api.api.id
  name                    = "${var.name}-request"
  type                    = "REQUEST"
  identity_source         = "method.request.header.Authorization"
  function_name           = module.authorizer_function.function_name
  invoke_arn              = module.authorizer_function.invoke_arn
  alias_name              = module.authorizer_function.alias_name
  permission_statement_id = "AllowApiGatewayRestRequest"
}

# ---- what the harness reads --------------------------------------------------

output "api_endpoint" {
  description = "The TOKEN-authorized method's URL."
  value       = "${trimsuffix(coalesce(var.invoke_url, aws_api_gateway_stage.prod.invoke_url), "/")}/hello"
}

output "request_endpoint" {
  description = "The REQUEST-authorized method's URL."
  value       = "${trimsuffix(coalesce(var.invoke_url, aws_api_gateway_stage.prod.invoke_url), "/")}/hello-request"
}

output "rest_api_id" {
  description = "The REST API id."
  value       = aws_api_gateway_rest_api.api.id
}

output "stage_name" {
  description = "The stage."
  value       = aws_api_gateway_stage.prod.stage_name
}

output "authorizer_id" {
  description = "The TOKEN authorizer's id."
  value       = module.token_authorizer.authorizer_id
}

output "request_authorizer_id" {
  description = "The REQUEST authorizer's id."
  value       = module.request_authorizer.authorizer_id
}

output "function_name" {
  description = "The function module's function_name."
  value       = module.authorizer_function.function_name
}

output "log_group_name" {
  description = "The function module's log_group_name."
  value       = module.authorizer_function.log_group_name
}

output "kms_key_id" {
  description = "The function module's kms_key_id."
  value       = module.authorizer_function.kms_key_id
}

output "kms_key_arn" {
  description = "The function module's kms_key_arn."
  value       = module.authorizer_function.kms_key_arn
}

output "kms_alias" {
  description = "The function module's kms_alias."
  value       = module.authorizer_function.kms_alias
}

output "key_algorithm" {
  description = "The function module's key_algorithm."
  value       = module.authorizer_function.key_algorithm
}

output "kids" {
  description = "The function module's kids."
  value       = module.authorizer_function.kids
}

output "issuer" {
  description = "The function module's issuer."
  value       = module.authorizer_function.issuer
}

output "audience" {
  description = "The function module's audience."
  value       = module.authorizer_function.audience
}

output "region" {
  description = "The function module's region."
  value       = module.authorizer_function.region
}

output "authorizer_environment" {
  description = "The function module's authorizer_environment."
  value       = module.authorizer_function.authorizer_environment
}

output "invoke_arn" {
  description = "The function module's invoke_arn."
  value       = module.authorizer_function.invoke_arn
}
