# The http-authorizer module's outputs (README.md lists them).

output "authorizer_id" {
  description = "The authorizer's id: a route's authorizer_id (with authorization_type = \"CUSTOM\")."
  value       = aws_apigatewayv2_authorizer.this.id
}

output "route_ids" {
  description = "The routes this module created, by route key."
  value       = { for k, r in aws_apigatewayv2_route.this : k => r.id }
}

output "cache_ttl_seconds" {
  description = "The authorizer's result TTL."
  value       = aws_apigatewayv2_authorizer.this.authorizer_result_ttl_in_seconds
}
