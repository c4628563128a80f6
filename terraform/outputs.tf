# The root module's outputs: what the harness reads with --deployment
# (README.md lists them).

output "api_endpoint" {
  description = "The stage URL to call (and to give `harness check --target`)."
  value       = aws_apigatewayv2_stage.stage.invoke_url
}

output "api_id" {
  description = "HTTP API id."
  value       = aws_apigatewayv2_api.http.id
}

output "stage_name" {
  description = "The API stage."
  value       = aws_apigatewayv2_stage.stage.name
}

output "execution_arn" {
  description = "The API's execution ARN (for invoke permissions of integrations)."
  value       = aws_apigatewayv2_api.http.execution_arn
}

output "authorizer_id" {
  description = "The API Gateway authorizer id."
  value       = module.http_authorizer.authorizer_id
}

output "invoke_arn" {
  description = "The alias's invoke ARN: the authorizer_uri of an API Gateway authorizer."
  value       = module.function.invoke_arn
}

output "function_arn" {
  description = "The function's unqualified ARN."
  value       = module.function.function_arn
}

output "qualified_arn" {
  description = "The ARN of the version published last ($LATEST with publish = false)."
  value       = module.function.qualified_arn
}

output "alias_arn" {
  description = "The alias's ARN (what API Gateway invokes)."
  value       = module.function.alias_arn
}

output "alias_name" {
  description = "The alias's name (the invoke permission's qualifier)."
  value       = module.function.alias_name
}

output "function_name" {
  description = "The function's name."
  value       = module.function.function_name
}

output "role_arn" {
  description = "The execution role's ARN (created, or the one brought)."
  value       = module.function.role_arn
}

output "role_name" {
  description = "The execution role's name."
  value       = module.function.role_name
}

output "log_group_name" {
  description = "The function's log group (decision lines, EMF metrics, REPORT records)."
  value       = module.function.log_group_name
}

output "log_group_arn" {
  description = "The function's log group ARN."
  value       = module.function.log_group_arn
}

output "region" {
  description = "The region it is deployed in (read by harness --deployment)."
  value       = module.function.region
}

output "kms_key_id" {
  description = "The signing key id (null with create_key = false)."
  value       = module.function.kms_key_id
}

output "kms_key_arn" {
  description = "The signing key ARN (null with create_key = false)."
  value       = module.function.kms_key_arn
}

output "kms_alias" {
  description = "The signing key alias (null with create_key = false)."
  value       = module.function.kms_alias
}

output "public_key_pem" {
  description = "The signing key's public half (SPKI PEM)."
  value       = module.function.public_key_pem
}

output "key_algorithm" {
  description = "The JWS algorithm of the module's key (null with create_key = false)."
  value       = module.function.key_algorithm
}

output "kids" {
  description = "The kids bound to the module's signing key (key id, ARN, alias): put one in a token's header. Empty with create_key = false."
  value       = module.function.kids
}

output "trusted_keys" {
  description = "Every key the authorizer trusts, the module's own first: ARN, algorithm and bound kids."
  value       = module.function.trusted_keys
}

output "issuer" {
  description = "The iss the authorizer requires."
  value       = module.function.issuer
}

output "audience" {
  description = "The aud values the authorizer accepts."
  value       = module.function.audience
}

output "authorizer_environment" {
  description = "The function's environment, to run the same configuration locally (harness gateway --env-file)."
  value       = module.function.authorizer_environment
}
