# A complete deployment: the module plus a demo backend route. Against real
# AWS leave endpoint_url unset; against moto set it to moto's URL.

terraform {
  required_version = ">= 1.7.0"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.60.0, < 6.0.0"
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

variable "lambda_zip_path" {
  description = "The deployment zip (harness package)."
  type        = string
  default     = "../../../target/lambda/authorizer.zip"
}

variable "backend_url" {
  description = "What the demo route proxies to once the token is accepted."
  type        = string
  default     = "https://httpbin.org/anything"
}

variable "name" {
  description = "Name prefix."
  type        = string
  default     = "jwt-authorizer-demo"
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
  # moto stores functions but has no logging_config support.
  json_logging = var.endpoint_url == null

  routes = {
    "GET /hello" = {
      integration_uri    = var.backend_url
      integration_method = "GET"
    }
  }

  tags = { project = "jwt-authorizer", example = "complete" }
}

output "api_endpoint" {
  description = "Call this (and give it to harness check --target)."
  value       = "${trimsuffix(module.authorizer.api_endpoint, "/")}/hello"
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
