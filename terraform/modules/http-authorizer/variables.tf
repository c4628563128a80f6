# The http-authorizer module's inputs (README.md lists them).

variable "api_id" {
  description = "The existing HTTP API's id."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9]{1,32}$", var.api_id))
    error_message = "api_id must be an API Gateway API id (lowercase letters and digits)."
  }
}

variable "function_name" {
  description = "The authorizer function's name (the function module's function_name)."
  type        = string
}

variable "invoke_arn" {
  description = "The function's invoke ARN (the function module's invoke_arn, the alias's)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:apigateway:[a-z0-9-]+:lambda:path/2015-03-31/functions/arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:[^/]+/invocations$", var.invoke_arn))
    error_message = "invoke_arn must be a Lambda invoke ARN (arn:aws:apigateway:REGION:lambda:path/2015-03-31/functions/FUNCTION_ARN/invocations)."
  }
}

variable "alias_name" {
  description = "The alias the invoke ARN names (the function module's alias_name); null for an unqualified function."
  type        = string
  default     = null
}

variable "name" {
  description = "The authorizer's name."
  type        = string
  default     = "jwt"
}

variable "identity_sources" {
  description = "Where the token is: a request without any of them is answered 401 without invoking the function."
  type        = list(string)
  default     = ["$request.header.Authorization"]

  validation {
    condition     = length(var.identity_sources) > 0 && alltrue([for s in var.identity_sources : can(regex("^\\$(request\\.(header|querystring)\\.[A-Za-z0-9_.-]+|context\\.[A-Za-z0-9_.]+|stageVariables\\.[A-Za-z0-9_]+)$", s))])
    error_message = "identity_sources: at least one of $request.header.NAME, $request.querystring.NAME, $context.NAME, $stageVariables.NAME."
  }
}

variable "cache_ttl_seconds" {
  description = "How long API Gateway caches a decision per identity source value (0: off; at most 3600)."
  type        = number
  default     = 300

  validation {
    condition     = var.cache_ttl_seconds >= 0 && var.cache_ttl_seconds <= 3600
    error_message = "cache_ttl_seconds must be 0-3600."
  }
}

variable "enable_simple_responses" {
  description = "Simple responses ({isAuthorized, context}); false: IAM policy responses (set the function's JWT_RESPONSE_FORMAT=policy too)."
  type        = bool
  default     = true
}

variable "permission_statement_id" {
  description = "The invoke permission's statement id (unique per function and qualifier)."
  type        = string
  default     = "AllowApiGatewayHttpAuthorizer"
}

variable "routes" {
  description = "Routes to create on the API protected by this authorizer: route key => { target = \"integrations/ID\" }. Empty: attach it to your own routes (authorization_type = \"CUSTOM\", authorizer_id)."
  type = map(object({
    target = string
  }))
  default = {}

  validation {
    condition     = alltrue([for k, r in var.routes : can(regex("^(ANY|GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) /", k)) && can(regex("^integrations/[a-z0-9]+$", r.target))])
    error_message = "routes: keys are \"METHOD /path\", targets \"integrations/ID\"."
  }
}
