# The function module's outputs (README.md lists them). invoke_arn is what
# an authorizer (this project's http-authorizer or rest-authorizer, or
# terraform-aws-modules' apigateway-v2 `authorizers` map) takes.

output "invoke_arn" {
  description = "The alias's invoke ARN: the authorizer_uri of an API Gateway authorizer."
  value       = aws_lambda_alias.live.invoke_arn
}

output "function_arn" {
  description = "The function's unqualified ARN."
  value       = aws_lambda_function.authorizer.arn
}

output "qualified_arn" {
  description = "The ARN of the version published last ($LATEST with publish = false)."
  value       = aws_lambda_function.authorizer.qualified_arn
}

output "alias_arn" {
  description = "The alias's ARN (what API Gateway invokes)."
  value       = aws_lambda_alias.live.arn
}

output "alias_name" {
  description = "The alias's name (the invoke permission's qualifier)."
  value       = aws_lambda_alias.live.name
}

output "function_name" {
  description = "The function's name."
  value       = aws_lambda_function.authorizer.function_name
}

output "role_arn" {
  description = "The execution role's ARN (created, or the one brought)."
  value       = local.role_arn
}

output "role_name" {
  description = "The execution role's name."
  value       = local.role_name
}

output "log_group_name" {
  description = "The function's log group (decision lines, EMF metrics, REPORT records)."
  value       = aws_cloudwatch_log_group.function.name
}

output "log_group_arn" {
  description = "The function's log group ARN."
  value       = aws_cloudwatch_log_group.function.arn
}

output "region" {
  description = "The region it is deployed in (read by harness --deployment)."
  value       = data.aws_region.current.name
}

output "kms_key_id" {
  description = "The signing key id (null with create_key = false)."
  value       = one(aws_kms_key.jwt[*].key_id)
}

output "kms_key_arn" {
  description = "The signing key ARN (null with create_key = false)."
  value       = one(aws_kms_key.jwt[*].arn)
}

output "kms_alias" {
  description = "The signing key alias (null with create_key = false)."
  value       = one(aws_kms_alias.jwt[*].name)
}

output "public_key_pem" {
  description = "The signing key's public half (SPKI PEM)."
  value       = one(data.aws_kms_public_key.jwt[*].public_key_pem)
}

output "key_algorithm" {
  description = "The JWS algorithm of the module's key (null with create_key = false)."
  value       = var.create_key ? local.own_algorithm : null
}

output "kids" {
  description = "The kids bound to the module's signing key (key id, ARN, alias): put one in a token's header. Empty with create_key = false."
  value       = flatten([for k in local.own_key : k.kids])
}

output "trusted_keys" {
  description = "Every key the authorizer trusts, the module's own first: ARN, algorithm and bound kids."
  value       = [for k in local.trusted_keys : { arn = k.arn, algorithm = k.algorithm, kids = k.kids }]
}

output "issuer" {
  description = "The iss the authorizer requires."
  value       = var.issuer
}

output "audience" {
  description = "The aud values the authorizer accepts."
  value       = var.audience
}

output "authorizer_environment" {
  description = "The function's environment, to run the same configuration locally (harness gateway --env-file)."
  value       = local.authorizer_environment
}
