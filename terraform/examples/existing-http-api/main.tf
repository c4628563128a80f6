# Attach the authorizer to an HTTP API a team already has: the API, its
# stage, integration and public route are created here, outside the
# modules, standing in for the API you own; the authorizer function
# (modules/function) and a REQUEST authorizer on that API
# (modules/http-authorizer, with the one protected route) are all the
# modules add. Against real AWS leave endpoint_url unset; against moto set
# it to moto's URL.

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
  description = "Where the API is served when API Gateway itself does not serve it: moto has no data plane, so offline runs put the emulator's URL here (harness gateway --api-id). null: the stage's invoke URL."
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
  default     = "jwt-existing-http"
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


# ---- the API you already have (not the modules') -------------------------

resource "aws_apigatewayv2_api" "existing" {
  name          = "${var.name}-api"
  protocol_type = "HTTP"
  tags          = { project = "jwt-authorizer", example = "existing-http-api" }
}

resource "aws_apigatewayv2_stage" "existing" {
  #checkov:skip=CKV_AWS_76:Stands in for the team's own stage; its access logs are the team's choice (the complete example shows them).
  api_id      = aws_apigatewayv2_api.existing.id
  name        = "$default"
  auto_deploy = true

  default_route_settings {
    throttling_rate_limit  = 100
    throttling_burst_limit = 50
  }
}

resource "aws_iam_role" "echo" {
  name = "${var.name}-echo"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "lambda.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
}

resource "aws_lambda_function" "echo" {
  #checkov:skip=CKV_AWS_50:A demo echo; X-Ray adds nothing to it.
  #checkov:skip=CKV_AWS_115:A demo echo; API Gateway stage throttling bounds it.
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
}

resource "aws_lambda_permission" "echo" {
  statement_id  = "AllowApiGatewayInvoke"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.echo.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.existing.execution_arn}/*/*"
}

resource "aws_apigatewayv2_integration" "echo" {
  api_id                 = aws_apigatewayv2_api.existing.id
  integration_type       = "AWS_PROXY"
  integration_uri        = aws_lambda_function.echo.invoke_arn
  payload_format_version = "2.0"
}

# A route the authorizer does not protect.
resource "aws_apigatewayv2_route" "public" {
  #checkov:skip=CKV_AWS_309:Public on purpose: the example shows a route the authorizer leaves alone.
  api_id    = aws_apigatewayv2_api.existing.id
  route_key = "GET /public"
  target    = "integrations/${aws_apigatewayv2_integration.echo.id}"
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
}

module "authorizer" {
  source = "../../modules/http-authorizer"

  api_id        = aws_apigatewayv2_api.existing.id
  function_name = module.authorizer_function.function_name
  invoke_arn    = module.authorizer_function.invoke_arn
  alias_name    = module.authorizer_function.alias_name
  routes = {
    "GET /hello" = { target = "integrations/${aws_apigatewayv2_integration.echo.id}" }
  }
}

# ---- what the harness reads (harness suite --deployment outputs.json) ------

output "api_endpoint" {
  description = "The protected route's URL."
  value       = "${trimsuffix(coalesce(var.invoke_url, aws_apigatewayv2_stage.existing.invoke_url), "/")}/hello"
}

output "public_endpoint" {
  description = "The unprotected route's URL."
  value       = "${trimsuffix(coalesce(var.invoke_url, aws_apigatewayv2_stage.existing.invoke_url), "/")}/public"
}

output "api_id" {
  description = "The HTTP API id."
  value       = aws_apigatewayv2_api.existing.id
}

output "stage_name" {
  description = "The stage."
  value       = aws_apigatewayv2_stage.existing.name
}

output "authorizer_id" {
  description = "The authorizer the module added."
  value       = module.authorizer.authorizer_id
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
