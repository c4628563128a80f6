# The rest-authorizer module's outputs (README.md lists them).

output "authorizer_id" {
  description = "The authorizer's id: a method's authorizer_id (with authorization = \"CUSTOM\")."
  value       = aws_api_gateway_authorizer.this.id
}

output "type" {
  description = "TOKEN or REQUEST."
  value       = aws_api_gateway_authorizer.this.type
}

output "cache_ttl_seconds" {
  description = "The authorizer's result TTL."
  value       = aws_api_gateway_authorizer.this.authorizer_result_ttl_in_seconds
}
