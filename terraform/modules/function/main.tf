# The authorizer function: its signing key (or the keys it trusts), the
# function, its role and log group, and the alias API Gateway invokes.
# Everything but the API: attach it with ../http-authorizer or
# ../rest-authorizer.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition

  # The algorithm a key spec fixes (every signing spec but RSA's, which
  # names its own): as the authorizer's and the harness's mapping.
  spec_algorithms = {
    ECC_NIST_P256         = "ES256"
    ECC_NIST_P384         = "ES384"
    ECC_NIST_P521         = "ES512"
    ECC_SECG_P256K1       = "ES256K"
    ECC_NIST_EDWARDS25519 = "Ed25519"
    ML_DSA_44             = "ML-DSA-44"
    ML_DSA_65             = "ML-DSA-65"
    ML_DSA_87             = "ML-DSA-87"
  }
  # The KMS signing algorithm of each JWS algorithm.
  kms_signing_algorithms = {
    ES256   = "ECDSA_SHA_256", ES256K = "ECDSA_SHA_256", ES384 = "ECDSA_SHA_384", ES512 = "ECDSA_SHA_512",
    RS256   = "RSASSA_PKCS1_V1_5_SHA_256", RS384 = "RSASSA_PKCS1_V1_5_SHA_384", RS512 = "RSASSA_PKCS1_V1_5_SHA_512",
    PS256   = "RSASSA_PSS_SHA_256", PS384 = "RSASSA_PSS_SHA_384", PS512 = "RSASSA_PSS_SHA_512",
    Ed25519 = "ED25519_SHA_512", "ML-DSA-44" = "ML_DSA_SHAKE_256", "ML-DSA-65" = "ML_DSA_SHAKE_256", "ML-DSA-87" = "ML_DSA_SHAKE_256",
  }
  own_algorithm = lookup(local.spec_algorithms, var.key_spec, var.key_algorithm)

  # Every trusted key, the module's own first: ARN, algorithm, kids, PEM.
  own_key = [for k in aws_kms_key.jwt : {
    arn       = k.arn
    algorithm = local.own_algorithm
    kids      = [k.key_id, k.arn, aws_kms_alias.jwt[0].name]
    pem       = data.aws_kms_public_key.jwt[0].public_key_pem
  }]
  external_keys = [for k in var.trusted_keys : {
    arn       = k.arn
    algorithm = coalesce(k.algorithm, lookup(local.spec_algorithms, data.aws_kms_public_key.trusted[k.arn].customer_master_key_spec, "unknown"))
    kids      = coalesce(k.kids, [regex("key/([^:]+)$", k.arn)[0], k.arn])
    pem       = data.aws_kms_public_key.trusted[k.arn].public_key_pem
  }]
  trusted_keys = concat(local.own_key, local.external_keys)

  # The KMS key source needs the build with the AWS SDK; PEM keys the lean one.
  lambda_zip_path = var.key_source == "kms" ? coalesce(var.lambda_kms_zip_path, var.lambda_zip_path) : var.lambda_zip_path

  # The authorizer's environment (README "Configuration"); unset values are omitted.
  key_environment = var.key_source == "pem" ? {
    JWT_PUBLIC_KEY_PEM  = join("", [for k in local.trusted_keys : k.pem])
    JWT_PUBLIC_KEY_ALG  = join(",", [for k in local.trusted_keys : k.algorithm])
    JWT_PUBLIC_KEY_KIDS = join(";", [for k in local.trusted_keys : join(",", k.kids)])
    } : {
    # An RSA key names its algorithm (`ARN:PS256`); an EC key's spec fixes it.
    JWT_KMS_KEY_IDS = join(",", [for k in local.trusted_keys : contains(values(local.spec_algorithms), k.algorithm) ? k.arn : "${k.arn}:${k.algorithm}"])
  }
  authorizer_environment = merge(
    local.key_environment,
    {
      JWT_ISSUER          = var.issuer
      JWT_AUDIENCE        = join(",", var.audience)
      JWT_LEEWAY_SECONDS  = tostring(var.leeway_seconds)
      JWT_MAX_TOKEN_BYTES = tostring(var.max_token_bytes)
      JWT_REQUIRE_BEARER  = tostring(var.require_bearer)
      JWT_RESPONSE_FORMAT = "simple"
      JWT_METRICS         = var.metrics ? "emf" : "off"
    },
    var.metrics ? { JWT_METRICS_NAMESPACE = var.metrics_namespace } : {},
    length(var.context_claims) > 0 ? { JWT_CONTEXT_CLAIMS = join(",", var.context_claims) } : {},
    var.max_lifetime_seconds == null ? {} : { JWT_MAX_LIFETIME_SECONDS = tostring(var.max_lifetime_seconds) },
  )
}

# ---- the signing key ------------------------------------------------------

resource "aws_kms_key" "jwt" {
  count                    = var.create_key ? 1 : 0
  description              = "${var.name}: ${coalesce(local.own_algorithm, "RSA")} JWT signing key"
  customer_master_key_spec = var.key_spec
  key_usage                = "SIGN_VERIFY"
  deletion_window_in_days  = var.kms_deletion_window_days
  policy                   = jsonencode(local.key_policy)
  tags                     = var.tags

  lifecycle {
    precondition {
      condition     = local.own_algorithm != null && (startswith(var.key_spec, "RSA_") ? contains(["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"], coalesce(local.own_algorithm, "-")) : (var.key_algorithm == null || var.key_algorithm == local.own_algorithm))
      error_message = "key_algorithm: an RSA key_spec needs one of RS256, RS384, RS512, PS256, PS384, PS512; an EC, Ed25519 or ML-DSA key_spec fixes its algorithm (leave key_algorithm null or give the spec's)."
    }
  }
}

locals {
  key_policy = {
    Version = "2012-10-17"
    Statement = concat(
      [{
        # Key administration stays with the account (and so with IAM).
        Sid       = "AccountAdministers"
        Effect    = "Allow"
        Principal = { AWS = "arn:${local.partition}:iam::${local.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      }],
      length(var.signer_principal_arns) == 0 ? [] : [{
        Sid       = "IssuerSigns"
        Effect    = "Allow"
        Principal = { AWS = var.signer_principal_arns }
        Action    = ["kms:Sign", "kms:GetPublicKey", "kms:DescribeKey"]
        Resource  = "*"
      }],
    )
  }
}

resource "aws_kms_alias" "jwt" {
  count         = var.create_key ? 1 : 0
  name          = "alias/${var.name}"
  target_key_id = aws_kms_key.jwt[0].key_id
}

data "aws_kms_public_key" "jwt" {
  count  = var.create_key ? 1 : 0
  key_id = aws_kms_key.jwt[0].arn
}

# Each trusted existing key, read at plan time: its PEM, and its key spec
# and signing algorithms to check the algorithm it is trusted for.
data "aws_kms_public_key" "trusted" {
  for_each = { for k in var.trusted_keys : k.arn => k }
  key_id   = each.key

  lifecycle {
    postcondition {
      condition     = self.key_usage == "SIGN_VERIFY"
      error_message = "trusted key ${each.key} is not a SIGN_VERIFY key."
    }
    postcondition {
      condition     = startswith(self.customer_master_key_spec, "RSA_") ? each.value.algorithm != null : (each.value.algorithm == null || each.value.algorithm == lookup(local.spec_algorithms, self.customer_master_key_spec, "-"))
      error_message = "trusted key ${each.key} (${self.customer_master_key_spec}): an RSA key needs its algorithm named; an EC, Ed25519 or ML-DSA key is trusted for its spec's algorithm only."
    }
    postcondition {
      condition     = each.value.algorithm == null || contains(self.signing_algorithms, lookup(local.kms_signing_algorithms, coalesce(each.value.algorithm, "-"), "-"))
      error_message = "trusted key ${each.key}: its signing algorithms do not include the one named."
    }
  }
}

# ---- the function ---------------------------------------------------------

resource "aws_cloudwatch_log_group" "function" {
  skip_destroy = var.log_group_skip_destroy
  #checkov:skip=CKV_AWS_158:The function never logs tokens or claims; CloudWatch encrypts at rest by default, and var.log_kms_key_arn adds a CMK where policy requires one.
  #checkov:skip=CKV_AWS_338:Retention is var.log_retention_days (default 30 days); decision logs carry no secrets and a year is the caller's choice.
  name              = "/aws/lambda/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_kms_key_arn
  tags              = var.tags
}

resource "aws_iam_role" "function" {
  count                = var.create_role ? 1 : 0
  name                 = "${var.name}-function"
  path                 = var.role_path
  permissions_boundary = var.role_permissions_boundary
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
  tags = var.tags
}

locals {
  role_arn  = var.create_role ? aws_iam_role.function[0].arn : var.role_arn
  role_name = var.create_role ? aws_iam_role.function[0].name : regex("[^/]+$", var.role_arn)
}

# A role brought with create_role = false is the caller's: its permissions
# (logs on this log group; kms:GetPublicKey with key_source = "kms") too.
resource "aws_iam_role_policy" "logs" {
  count = var.create_role ? 1 : 0
  name  = "logs"
  role  = aws_iam_role.function[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
      Resource = "${aws_cloudwatch_log_group.function.arn}:*"
    }]
  })
}

resource "aws_iam_role_policy" "kms" {
  count = var.create_role && var.key_source == "kms" ? 1 : 0
  name  = "kms-get-public-key"
  role  = aws_iam_role.function[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["kms:GetPublicKey"]
      Resource = [for k in local.trusted_keys : k.arn]
    }]
  })
}

resource "aws_iam_role_policy" "xray" {
  count = var.create_role && var.xray_tracing ? 1 : 0
  name  = "xray"
  role  = aws_iam_role.function[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect = "Allow"
      Action = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
      # X-Ray has no resource-level permissions for these actions.
      Resource = "*"
    }]
  })
}

resource "aws_lambda_function" "authorizer" {
  #checkov:skip=CKV_AWS_116:API Gateway invokes authorizers synchronously; a dead-letter queue only applies to asynchronous invocations.
  #checkov:skip=CKV_AWS_117:The function reaches no private resource; a VPC would add ENI cold-start latency and, for the KMS key source, a NAT or VPC endpoint.
  #checkov:skip=CKV_AWS_173:The environment holds only public material (public key, issuer, audience); Lambda encrypts it at rest with its service key.
  #checkov:skip=CKV_AWS_272:Code signing is opt-in through var.code_signing_config_arn; the deployment zip is built reproducibly by harness package.
  function_name                  = var.name
  description                    = "JWT authorizer (${join(", ", distinct([for k in local.trusted_keys : k.algorithm]))})"
  role                           = local.role_arn
  publish                        = var.publish
  runtime                        = "provided.al2023"
  handler                        = "bootstrap"
  filename                       = local.lambda_zip_path
  source_code_hash               = filebase64sha256(local.lambda_zip_path)
  architectures                  = [var.architecture]
  memory_size                    = var.memory_size
  timeout                        = var.timeout_seconds
  reserved_concurrent_executions = var.reserved_concurrency == null ? -1 : var.reserved_concurrency
  code_signing_config_arn        = var.code_signing_config_arn

  environment {
    variables = local.authorizer_environment
  }

  dynamic "logging_config" {
    for_each = var.json_logging ? [1] : []
    content {
      log_format            = "JSON"
      log_group             = aws_cloudwatch_log_group.function.name
      application_log_level = var.application_log_level
      # INFO keeps the platform's `platform.report` records (Init Duration,
      # Duration, Max Memory Used): WARN would drop them.
      system_log_level = var.system_log_level
    }
  }

  dynamic "tracing_config" {
    for_each = var.xray_tracing ? [1] : []
    content {
      mode = "Active"
    }
  }

  depends_on = [aws_iam_role_policy.logs, aws_cloudwatch_log_group.function]
  tags       = var.tags

  lifecycle {
    precondition {
      condition     = length(local.trusted_keys) > 0
      error_message = "no key would be trusted: keep create_key = true or list trusted_keys."
    }
  }
}


# API Gateway invokes this alias: a deployment moves it (publish = true: to
# the version just published), and provisioned concurrency attaches to it.
resource "aws_lambda_alias" "live" {
  name             = var.alias_name
  description      = "The version API Gateway invokes."
  function_name    = aws_lambda_function.authorizer.function_name
  function_version = var.publish ? aws_lambda_function.authorizer.version : "$LATEST"
}

resource "aws_lambda_provisioned_concurrency_config" "live" {
  count                             = var.provisioned_concurrency > 0 ? 1 : 0
  function_name                     = aws_lambda_alias.live.function_name
  qualifier                         = aws_lambda_alias.live.name
  provisioned_concurrent_executions = var.provisioned_concurrency

  lifecycle {
    precondition {
      condition     = var.publish
      error_message = "provisioned_concurrency needs publish = true (it attaches to a published version through the alias)."
    }
  }
}
