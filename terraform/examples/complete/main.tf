# A complete deployment: the module plus a demo backend route. Against real
# AWS leave endpoint_url unset; against moto set it to moto's URL.

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

variable "backend_url" {
  description = "An HTTP backend for the demo route instead of the example's echo function. Every caller's bearer token reaches it: never point it at a third party."
  type        = string
  default     = null
}

variable "name" {
  description = "Name prefix."
  type        = string
  default     = "jwt-authorizer-demo"
}

variable "key_spec" {
  description = "The module's key spec (ECC_NIST_P521: ES512)."
  type        = string
  default     = "ECC_NIST_P521"
}

variable "key_algorithm" {
  description = "The module key's algorithm, for RSA key specs."
  type        = string
  default     = null
}

variable "create_key" {
  description = "Let the module create its own key (false: the last step of rotating away from it)."
  type        = bool
  default     = true
}

variable "trusted_keys" {
  description = "Existing keys to trust as well (rotation), as the module's trusted_keys."
  type = list(object({
    arn       = string
    algorithm = optional(string)
    kids      = optional(list(string))
  }))
  default = []
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

module "authorizer" {
  source = "../.."

  name            = var.name
  lambda_zip_path = var.lambda_zip_path
  issuer          = "https://issuer.example.com"
  audience        = ["demo-api"]
  context_claims  = ["scope"]
  key_spec        = var.key_spec
  key_algorithm   = var.key_algorithm
  create_key      = var.create_key
  trusted_keys    = var.trusted_keys
  # moto stores functions but has no logging_config support.
  json_logging = var.endpoint_url == null
  # The alias follows $LATEST, so `harness suite --deployment` can force
  # cold starts with a configuration change; production keeps the module's
  # default (publish = true: versioned rollout).
  publish = false

  routes = {
    "GET /hello" = var.backend_url == null ? {
      integration_type   = "AWS_PROXY"
      integration_uri    = aws_lambda_function.echo.invoke_arn
      integration_method = "POST"
      } : {
      integration_type   = "HTTP_PROXY"
      integration_uri    = var.backend_url
      integration_method = "GET"
    }
  }

  tags = { project = "jwt-authorizer", example = "complete" }
}

# ---- the demo backend: an echo function inside the deployment ---------------
# (The token never leaves the deployment; the function echoes no header.)

resource "aws_iam_role" "echo" {
  name = "${var.name}-echo"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "lambda.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
  tags = { project = "jwt-authorizer", example = "complete" }
}

resource "aws_lambda_function" "echo" {
  #checkov:skip=CKV_AWS_50:A demo echo; X-Ray adds nothing to it.
  #checkov:skip=CKV_AWS_115:A demo echo; API Gateway stage throttling bounds it.
  #checkov:skip=CKV_AWS_116:Invoked synchronously by API Gateway; a dead-letter queue applies to asynchronous invocations only.
  #checkov:skip=CKV_AWS_117:Reaches no private resource.
  #checkov:skip=CKV_AWS_173:No environment variables.
  #checkov:skip=CKV_AWS_272:A demo echo built from echo/index.py in this folder.
  function_name    = "${var.name}-echo"
  description      = "Demo backend: echoes what the authorizer granted"
  role             = aws_iam_role.echo.arn
  runtime          = "python3.12"
  handler          = "index.handler"
  filename         = "${path.module}/echo/echo.zip"
  source_code_hash = filebase64sha256("${path.module}/echo/echo.zip")
  memory_size      = 128
  timeout          = 3
  tags             = { project = "jwt-authorizer", example = "complete" }
}

resource "aws_lambda_permission" "echo" {
  statement_id  = "AllowApiGatewayInvoke"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.echo.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${module.authorizer.execution_arn}/*/*"
}

output "api_endpoint" {
  description = "Call this (and give it to harness check --target)."
  value       = "${trimsuffix(coalesce(var.invoke_url, module.authorizer.api_endpoint), "/")}/hello"
}

output "kms_key_id" {
  description = "Sign tokens with this key (harness mint --kms-key-id)."
  value       = module.authorizer.kms_key_id
}

output "kms_key_arn" {
  description = "Signing key ARN."
  value       = module.authorizer.kms_key_arn
}

output "kms_alias" {
  description = "Signing key alias."
  value       = module.authorizer.kms_alias
}

output "issuer" {
  description = "Required iss."
  value       = module.authorizer.issuer
}

output "audience" {
  description = "Accepted aud."
  value       = module.authorizer.audience
}

output "authorizer_environment" {
  description = "The function's environment, to run it locally."
  value       = module.authorizer.authorizer_environment
}

output "kids" {
  description = "Kids bound to the key (key id, ARN, alias)."
  value       = module.authorizer.kids
}

output "api_id" {
  description = "HTTP API id."
  value       = module.authorizer.api_id
}

output "stage_name" {
  description = "The API stage."
  value       = module.authorizer.stage_name
}

output "authorizer_id" {
  description = "The API Gateway authorizer id."
  value       = module.authorizer.authorizer_id
}

output "function_name" {
  description = "The authorizer function."
  value       = module.authorizer.function_name
}

output "function_arn" {
  description = "The authorizer function's ARN."
  value       = module.authorizer.function_arn
}

output "log_group_name" {
  description = "The authorizer function's log group."
  value       = module.authorizer.log_group_name
}

output "execution_arn" {
  description = "The API's execution ARN."
  value       = module.authorizer.execution_arn
}

output "key_algorithm" {
  description = "The JWS algorithm of the module's key."
  value       = module.authorizer.key_algorithm
}

output "trusted_keys" {
  description = "Every trusted key: ARN, algorithm, kids."
  value       = module.authorizer.trusted_keys
}

output "region" {
  description = "The region it is deployed in (harness --deployment reads it)."
  value       = module.authorizer.region
}
