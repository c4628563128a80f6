output "api_endpoint" {
  description = "The stage URL to call (and to give `harness check --target`)."
  value       = aws_apigatewayv2_stage.stage.invoke_url
}

output "api_id" {
  description = "HTTP API id."
  value       = aws_apigatewayv2_api.http.id
}

output "kms_key_id" {
  description = "The signing key id."
  value       = one(aws_kms_key.jwt[*].key_id)
}

output "kms_key_arn" {
  description = "The signing key ARN."
  value       = one(aws_kms_key.jwt[*].arn)
}

output "kms_alias" {
  description = "The signing key alias."
  value       = one(aws_kms_alias.jwt[*].name)
}

output "issuer" {
  description = "The iss the authorizer requires."
  value       = var.issuer
}

output "audience" {
  description = "The aud values the authorizer accepts."
  value       = var.audience
}

output "function_name" {
  description = "The authorizer function."
  value       = aws_lambda_function.authorizer.function_name
}

output "authorizer_id" {
  description = "The API Gateway authorizer id."
  value       = aws_apigatewayv2_authorizer.jwt.id
}

output "public_key_pem" {
  description = "The key's public half (SPKI PEM)."
  value       = one(data.aws_kms_public_key.jwt[*].public_key_pem)
}

output "authorizer_environment" {
  description = "The function's environment, to run the same configuration locally (harness gateway --env-file)."
  value       = local.authorizer_environment
}

output "function_arn" {
  description = "The authorizer function's ARN."
  value       = aws_lambda_function.authorizer.arn
}

output "log_group_name" {
  description = "The function's log group (decision lines and REPORT records)."
  value       = aws_cloudwatch_log_group.function.name
}

output "stage_name" {
  description = "The API stage."
  value       = aws_apigatewayv2_stage.stage.name
}

output "execution_arn" {
  description = "The API's execution ARN (for invoke permissions of integrations)."
  value       = aws_apigatewayv2_api.http.execution_arn
}

output "kids" {
  description = "The kids bound to the module's signing key (key id, ARN, alias): put one in a token's header. Empty with create_key = false."
  value       = flatten([for k in local.own_key : k.kids])
}

output "key_algorithm" {
  description = "The JWS algorithm of the module's key (null with create_key = false)."
  value       = var.create_key ? local.own_algorithm : null
}

output "trusted_keys" {
  description = "Every key the authorizer trusts, the module's own first: ARN, algorithm and bound kids."
  value       = [for k in local.trusted_keys : { arn = k.arn, algorithm = k.algorithm, kids = k.kids }]
}

output "region" {
  description = "The region it is deployed in (read by harness --deployment)."
  value       = data.aws_region.current.name
}
