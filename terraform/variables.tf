# The root module's inputs: the function module's, and the example HTTP API's (README.md lists them).

variable "name" {
  description = "Name prefix for the function, key alias, API and log groups."
  type        = string
  default     = "jwt-authorizer"

  validation {
    condition     = can(regex("^[A-Za-z0-9-_]{1,48}$", var.name))
    error_message = "name must be 1-48 characters of letters, digits, - and _."
  }
}

variable "lambda_zip_path" {
  description = "Path to the deployment zip with `bootstrap` at its root: the lean build (target/lambda/authorizer.zip from scripts/build-lambda.sh; PEM and JWKS keys, no AWS SDK). Deployed unless key_source = \"kms\"."
  type        = string

  validation {
    condition     = fileexists(var.lambda_zip_path)
    error_message = "lambda_zip_path does not exist: build it with scripts/build-lambda.sh."
  }
}

variable "lambda_kms_zip_path" {
  description = "Path to the zip of the build with the KMS key source (target/lambda/authorizer-kms.zip), deployed when key_source = \"kms\". null: lambda_zip_path is deployed, which must then be that build (the lean one refuses JWT_KMS_KEY_IDS at init)."
  type        = string
  default     = null

  validation {
    condition     = var.lambda_kms_zip_path == null || fileexists(coalesce(var.lambda_kms_zip_path, "-"))
    error_message = "lambda_kms_zip_path does not exist: build it with scripts/build-lambda.sh."
  }
}

variable "metrics" {
  description = "Emit CloudWatch Embedded Metric Format lines (decisions, denies by reason, cache hits, verify time, key set age) from the function's log group; false sets JWT_METRICS=off."
  type        = bool
  default     = true
}

variable "metrics_namespace" {
  description = "CloudWatch namespace of the function's metrics (JWT_METRICS_NAMESPACE)."
  type        = string
  default     = "JwtAuthorizer"

  validation {
    condition     = can(regex("^[A-Za-z0-9 ._/#:-]{1,255}$", var.metrics_namespace)) && !startswith(var.metrics_namespace, "AWS/")
    error_message = "metrics_namespace must be 1-255 of letters, digits, space and . _ / # : - and not start with AWS/."
  }
}

variable "create_alarms" {
  description = "Create CloudWatch alarms: deny ratio, function errors, function throttles, p99 duration (off by default)."
  type        = bool
  default     = false
}

variable "alarm_sns_topic_arn" {
  description = "SNS topic the alarms notify (alarm and OK); null: alarms without actions."
  type        = string
  default     = null

  validation {
    condition     = var.alarm_sns_topic_arn == null || can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$", var.alarm_sns_topic_arn))
    error_message = "alarm_sns_topic_arn must be an SNS topic ARN."
  }
}

variable "alarm_deny_ratio" {
  description = "Deny-ratio alarm threshold (denies / decisions over 5 minutes, from the EMF metrics; needs metrics = true)."
  type        = number
  default     = 0.5

  validation {
    condition     = var.alarm_deny_ratio > 0 && var.alarm_deny_ratio <= 1
    error_message = "alarm_deny_ratio must be in (0, 1]."
  }
}

variable "alarm_p99_duration_ms" {
  description = "p99 Duration alarm threshold in ms (AWS/Lambda Duration over 5 minutes)."
  type        = number
  default     = 500

  validation {
    condition     = var.alarm_p99_duration_ms > 0
    error_message = "alarm_p99_duration_ms must be positive."
  }
}

variable "publish" {
  description = "Publish a version on every change and point the alias at it (versioned rollout); false: the alias follows $LATEST."
  type        = bool
  default     = true
}

variable "alias_name" {
  description = "The alias API Gateway invokes (invoke_arn)."
  type        = string
  default     = "live"

  validation {
    condition     = can(regex("^[A-Za-z][A-Za-z0-9_-]{0,127}$", var.alias_name)) && var.alias_name != "$LATEST"
    error_message = "alias_name must be 1-128 letters, digits, - and _, starting with a letter."
  }
}

variable "provisioned_concurrency" {
  description = "Provisioned concurrency on the alias (0: none). Cold starts controlled for latency-sensitive APIs; needs publish = true."
  type        = number
  default     = 0

  validation {
    condition     = var.provisioned_concurrency >= 0 && floor(var.provisioned_concurrency) == var.provisioned_concurrency
    error_message = "provisioned_concurrency must be a whole number >= 0."
  }
}

variable "application_log_level" {
  description = "The function's application log level under JSON logging (the decision lines are INFO)."
  type        = string
  default     = "INFO"

  validation {
    condition     = contains(["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"], var.application_log_level)
    error_message = "application_log_level must be one of TRACE, DEBUG, INFO, WARN, ERROR, FATAL."
  }
}

variable "log_group_skip_destroy" {
  description = "Keep the function's log group (and its logs) when the module is destroyed."
  type        = bool
  default     = false
}

variable "create_role" {
  description = "Create the function's execution role; false: bring one (role_arn) with its permissions (logs on the log group; kms:GetPublicKey with key_source = \"kms\")."
  type        = bool
  default     = true
}

variable "role_arn" {
  description = "The execution role to use when create_role = false."
  type        = string
  default     = null

  validation {
    condition     = var.role_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", coalesce(var.role_arn, "-")))
    error_message = "role_arn must be an IAM role ARN."
  }
}

variable "role_path" {
  description = "Path of the role the module creates."
  type        = string
  default     = "/"

  validation {
    condition     = can(regex("^/([A-Za-z0-9+=,.@_-]+/)*$", var.role_path))
    error_message = "role_path must start and end with /."
  }
}

variable "role_permissions_boundary" {
  description = "Permissions boundary (a policy ARN) for the role the module creates."
  type        = string
  default     = null

  validation {
    condition     = var.role_permissions_boundary == null || can(regex("^arn:aws[a-z-]*:iam::([0-9]{12}|aws):policy/.+$", coalesce(var.role_permissions_boundary, "-")))
    error_message = "role_permissions_boundary must be an IAM policy ARN."
  }
}

variable "architecture" {
  description = "Lambda architecture. arm64 is recommended in production (cheaper, ~15% faster init); x86_64 is the default because CI builds x86_64."
  type        = string
  default     = "x86_64"

  validation {
    condition     = contains(["x86_64", "arm64"], var.architecture)
    error_message = "architecture must be x86_64 or arm64."
  }
}

variable "memory_size" {
  description = "Function memory in MB."
  type        = number
  default     = 128

  validation {
    condition     = var.memory_size >= 128 && var.memory_size <= 10240
    error_message = "memory_size must be between 128 and 10240 MB."
  }
}

variable "timeout_seconds" {
  description = "Function timeout. API Gateway waits at most 10 s for an authorizer."
  type        = number
  default     = 3

  validation {
    condition     = var.timeout_seconds >= 1 && var.timeout_seconds <= 10
    error_message = "timeout_seconds must be between 1 and 10 (the HTTP API authorizer limit)."
  }
}

variable "json_logging" {
  description = "Set the function's logging_config to JSON. Turn off for emulators that lack it."
  type        = bool
  default     = true
}

variable "system_log_level" {
  description = "Lambda's platform log level with JSON logging. INFO keeps the REPORT / platform.report records (Init Duration) that cold-start measurement reads; WARN or higher drops them."
  type        = string
  default     = "INFO"

  validation {
    condition     = contains(["DEBUG", "INFO", "WARN"], var.system_log_level)
    error_message = "system_log_level must be DEBUG, INFO or WARN."
  }
}

variable "log_retention_days" {
  description = "Retention of the function and access log groups."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a CloudWatch Logs retention value."
  }
}

variable "log_kms_key_arn" {
  description = "KMS key (ARN) to encrypt the function's log group (null: CloudWatch's default encryption)."
  type        = string
  default     = null

  validation {
    condition     = var.log_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", coalesce(var.log_kms_key_arn, "-")))
    error_message = "log_kms_key_arn must be a KMS key ARN."
  }
}

variable "code_signing_config_arn" {
  description = "Lambda code signing configuration to enforce (null: none)."
  type        = string
  default     = null

  validation {
    condition     = var.code_signing_config_arn == null || can(regex("^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:code-signing-config:csc-[a-z0-9]+$", coalesce(var.code_signing_config_arn, "-")))
    error_message = "code_signing_config_arn must be a Lambda code signing config ARN."
  }
}

variable "reserved_concurrency" {
  description = "Reserved concurrency for the authorizer function (null: unreserved)."
  type        = number
  default     = null

  validation {
    condition     = var.reserved_concurrency == null || try(var.reserved_concurrency >= 1, false)
    error_message = "reserved_concurrency must be null or at least 1 (0 would throttle every request)."
  }
}

variable "xray_tracing" {
  description = "Active X-Ray tracing for the function."
  type        = bool
  default     = false
}

variable "kms_deletion_window_days" {
  description = "Waiting period before the signing key is deleted."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_deletion_window_days >= 7 && var.kms_deletion_window_days <= 30
    error_message = "kms_deletion_window_days must be between 7 and 30."
  }
}

variable "key_source" {
  description = "How the function gets the public key: pem (from the aws_kms_public_key data source, no network call at cold start) or kms (GetPublicKey at cold start)."
  type        = string
  default     = "pem"

  validation {
    condition     = contains(["pem", "kms"], var.key_source)
    error_message = "key_source must be pem or kms."
  }
}

variable "key_spec" {
  description = "KMS key spec of the signing key the module creates: ECC_NIST_P521 (ES512, the default), ECC_NIST_P256 (ES256), ECC_NIST_P384 (ES384), ECC_SECG_P256K1 (ES256K), ECC_NIST_EDWARDS25519 (Ed25519), ML_DSA_44/ML_DSA_65/ML_DSA_87 (ML-DSA-44/65/87), or RSA_2048/RSA_3072/RSA_4096 with key_algorithm. The Ed25519 and ML-DSA specs need an AWS provider that knows them (6.x built with the AWS SDK for Go v2 of 2025-11-07 or later); 5.x refuses them at plan."
  type        = string
  default     = "ECC_NIST_P521"

  validation {
    condition     = contains(["ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521", "ECC_SECG_P256K1", "ECC_NIST_EDWARDS25519", "ML_DSA_44", "ML_DSA_65", "ML_DSA_87", "RSA_2048", "RSA_3072", "RSA_4096"], var.key_spec)
    error_message = "key_spec must be ECC_NIST_P256, ECC_NIST_P384, ECC_NIST_P521, ECC_SECG_P256K1, ECC_NIST_EDWARDS25519, ML_DSA_44, ML_DSA_65, ML_DSA_87, RSA_2048, RSA_3072 or RSA_4096."
  }
}

variable "key_algorithm" {
  description = "The one JWS algorithm the module's key is trusted for. Required for RSA key specs (RS256, RS384, RS512, PS256, PS384, PS512); EC, Ed25519 and ML-DSA specs fix it (null, or the spec's)."
  type        = string
  default     = null

  validation {
    condition     = var.key_algorithm == null || contains(["ES256", "ES384", "ES512", "ES256K", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "Ed25519", "ML-DSA-44", "ML-DSA-65", "ML-DSA-87"], coalesce(var.key_algorithm, "-"))
    error_message = "key_algorithm must be null or one of ES256, ES384, ES512, ES256K, RS256, RS384, RS512, PS256, PS384, PS512, Ed25519, ML-DSA-44, ML-DSA-65, ML-DSA-87."
  }
}

variable "create_key" {
  description = "Create the module's own signing key and alias. false trusts only trusted_keys: the last step of a rotation away from the module's key (its deletion is then scheduled after kms_deletion_window_days)."
  type        = bool
  default     = true
}

variable "trusted_keys" {
  description = "Existing KMS signing keys the authorizer trusts besides (with create_key = false: instead of) the module's own, e.g. the next key during a rotation. Each: its key ARN; its algorithm (required for RSA keys; EC, Ed25519 and ML-DSA keys: from the key spec); the kids bound to it in PEM mode (default: its key id and ARN). Removing a key from this list is the last step of rotating it out."
  type = list(object({
    arn       = string
    algorithm = optional(string)
    kids      = optional(list(string))
  }))
  default = []

  validation {
    condition     = alltrue([for k in var.trusted_keys : can(regex("^arn:[^:]+:kms:[^:]+:[0-9]{12}:key/[^:]+$", k.arn))])
    error_message = "each trusted_keys entry needs a KMS key ARN (arn:PARTITION:kms:REGION:ACCOUNT:key/ID); aliases can be re-pointed, so they are not trusted by name."
  }

  validation {
    condition     = alltrue([for k in var.trusted_keys : k.algorithm == null || contains(["ES256", "ES384", "ES512", "ES256K", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "Ed25519", "ML-DSA-44", "ML-DSA-65", "ML-DSA-87"], coalesce(k.algorithm, "-"))])
    error_message = "a trusted_keys algorithm must be one of ES256, ES384, ES512, ES256K, RS256, RS384, RS512, PS256, PS384, PS512, Ed25519, ML-DSA-44, ML-DSA-65, ML-DSA-87."
  }

  validation {
    condition     = length(distinct([for k in var.trusted_keys : k.arn])) == length(var.trusted_keys)
    error_message = "trusted_keys lists a key twice."
  }

  validation {
    condition     = alltrue([for k in var.trusted_keys : k.kids == null || alltrue([for kid in coalesce(k.kids, []) : length(kid) > 0 && !strcontains(kid, ",") && !strcontains(kid, ";")])])
    error_message = "kids must be non-empty and contain neither ',' nor ';'."
  }
}

variable "signer_principal_arns" {
  description = "IAM principals allowed to kms:Sign with the key (the token issuer)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.signer_principal_arns : can(regex("^arn:aws[a-z-]*:(iam|sts)::[0-9]{12}:.+$", a))])
    error_message = "signer_principal_arns must be IAM principal ARNs."
  }
}

variable "issuer" {
  description = "JWT_ISSUER: the exact iss claim required (\"!unchecked\" opts out explicitly)."
  type        = string

  validation {
    condition     = length(trimspace(var.issuer)) > 0
    error_message = "issuer must not be empty."
  }
}

variable "audience" {
  description = "JWT_AUDIENCE: accepted aud values (\"!unchecked\" alone opts out explicitly)."
  type        = list(string)

  validation {
    condition     = length(var.audience) > 0 && alltrue([for a in var.audience : length(trimspace(a)) > 0 && !strcontains(a, ",")])
    error_message = "audience needs at least one non-empty value without commas."
  }
}

variable "leeway_seconds" {
  description = "JWT_LEEWAY_SECONDS: clock skew allowance."
  type        = number
  default     = 0

  validation {
    condition     = var.leeway_seconds >= 0 && var.leeway_seconds <= 300 && floor(var.leeway_seconds) == var.leeway_seconds
    error_message = "leeway_seconds must be a whole number from 0 to 300."
  }
}

variable "max_token_bytes" {
  description = "JWT_MAX_TOKEN_BYTES: size cap before decoding."
  type        = number
  default     = 8192

  validation {
    condition     = var.max_token_bytes >= 256 && var.max_token_bytes <= 1048576
    error_message = "max_token_bytes must be between 256 and 1048576."
  }
}

variable "max_lifetime_seconds" {
  description = "JWT_MAX_LIFETIME_SECONDS: cap on exp - iat (null: no cap)."
  type        = number
  default     = null

  validation {
    condition     = var.max_lifetime_seconds == null || try(var.max_lifetime_seconds >= 1, false)
    error_message = "max_lifetime_seconds must be null or positive."
  }
}

variable "require_bearer" {
  description = "JWT_REQUIRE_BEARER: refuse bare tokens without the Bearer scheme."
  type        = bool
  default     = false
}

variable "context_claims" {
  description = "JWT_CONTEXT_CLAIMS: extra flat claims copied into the authorizer context."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
variable "cache_ttl_seconds" {
  description = "Authorizer result cache TTL (0 disables). Keep it below your shortest token lifetime: a cached allow outlives exp."
  type        = number
  default     = 300

  validation {
    condition     = var.cache_ttl_seconds >= 0 && var.cache_ttl_seconds <= 3600
    error_message = "cache_ttl_seconds must be between 0 and 3600."
  }
}

variable "throttling_rate_limit" {
  description = "Stage default route throttling rate (requests/s)."
  type        = number
  default     = 100

  validation {
    condition     = var.throttling_rate_limit > 0
    error_message = "throttling_rate_limit must be positive: 0 throttles every request (429)."
  }
}

variable "throttling_burst_limit" {
  description = "Stage default route throttling burst."
  type        = number
  default     = 50

  validation {
    condition     = var.throttling_burst_limit >= 1 && floor(var.throttling_burst_limit) == var.throttling_burst_limit
    error_message = "throttling_burst_limit must be a whole number of at least 1: 0 throttles every request (429)."
  }
}

variable "stage_name" {
  description = "Stage name; $default serves at the API root."
  type        = string
  default     = "$default"
}

variable "routes" {
  description = "Routes by route key (\"GET /hello\"), each protected by the authorizer, with its integration."
  type = map(object({
    integration_uri    = string
    integration_type   = optional(string, "HTTP_PROXY")
    integration_method = optional(string, "ANY")
  }))

  validation {
    condition     = length(var.routes) > 0 && alltrue([for k, r in var.routes : (k == "$default" || can(regex("^(ANY|GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) /", k))) && contains(["HTTP_PROXY", "AWS_PROXY"], r.integration_type)])
    error_message = "routes need at least one entry keyed \"METHOD /path\" or \"$default\", with integration_type HTTP_PROXY or AWS_PROXY."
  }
}

