# The rest-authorizer module's inputs (README.md lists them).

variable "rest_api_id" {
  description = "The existing REST API's id."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9]{1,32}$", var.rest_api_id))
    error_message = "rest_api_id must be an API Gateway REST API id (lowercase letters and digits)."
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

variable "type" {
  description = "TOKEN (the token alone, from one header) or REQUEST (the whole request; identity sources)."
  type        = string
  default     = "TOKEN"

  validation {
    condition     = contains(["TOKEN", "REQUEST"], var.type)
    error_message = "type must be TOKEN or REQUEST."
  }
}

variable "identity_source" {
  description = "TOKEN: the header (method.request.header.NAME); REQUEST: comma-separated sources (method.request.header.NAME, method.request.querystring.NAME, …). A request without them is 401 without invoking the function. Default: method.request.header.Authorization."
  type        = string
  default     = null

  validation {
    condition     = var.identity_source == null || alltrue([for s in split(",", coalesce(var.identity_source, "-")) : can(regex("^(method\\.request\\.(header|querystring|multivalueheader|multivaluequerystring)\\.[A-Za-z0-9_.-]+|stageVariables\\.[A-Za-z0-9_]+|context\\.[A-Za-z0-9_.]+)$", trimspace(s)))])
    error_message = "identity_source: method.request.header.NAME (TOKEN), or a comma-separated list of method.request.*, stageVariables.*, context.* (REQUEST)."
  }
}

variable "identity_validation_expression" {
  description = "TOKEN only: a regular expression the header must match, else 401 without invoking the function (e.g. ^Bearer [-0-9A-Za-z_.]+$)."
  type        = string
  default     = null
}

variable "cache_ttl_seconds" {
  description = "How long API Gateway caches a policy per identity source value (0: off; at most 3600)."
  type        = number
  default     = 300

  validation {
    condition     = var.cache_ttl_seconds >= 0 && var.cache_ttl_seconds <= 3600
    error_message = "cache_ttl_seconds must be 0-3600."
  }
}

variable "permission_statement_id" {
  description = "The invoke permission's statement id (unique per function and qualifier)."
  type        = string
  default     = "AllowApiGatewayRestAuthorizer"
}
