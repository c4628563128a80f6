# The signing key, the authorizer function and the HTTP API it protects.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition

  # The algorithm an EC key spec fixes; RSA keys name theirs.
  ec_algorithms = {
    ECC_NIST_P256   = "ES256"
    ECC_NIST_P384   = "ES384"
    ECC_NIST_P521   = "ES512"
    ECC_SECG_P256K1 = "ES256K"
  }
  own_algorithm = lookup(local.ec_algorithms, var.key_spec, var.key_algorithm)

  # Every trusted key, the module's own first: ARN, algorithm, kids, PEM.
  own_key = [for k in aws_kms_key.jwt : {
    arn       = k.arn
    algorithm = local.own_algorithm
    kids      = [k.key_id, k.arn, aws_kms_alias.jwt[0].name]
    pem       = data.aws_kms_public_key.jwt[0].public_key_pem
  }]
  external_keys = [for k in var.trusted_keys : {
    arn       = k.arn
    algorithm = coalesce(k.algorithm, lookup(local.ec_algorithms, data.aws_kms_public_key.trusted[k.arn].customer_master_key_spec, "unknown"))
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
    JWT_KMS_KEY_IDS = join(",", [for k in local.trusted_keys : contains(values(local.ec_algorithms), k.algorithm) ? k.arn : "${k.arn}:${k.algorithm}"])
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
      error_message = "key_algorithm: an RSA key_spec needs one of RS256, RS384, RS512, PS256, PS384, PS512; an EC key_spec fixes its algorithm (leave key_algorithm null or give the curve's)."
    }
  }
}

# Existing state keeps its key: the module's key became optional (count).
moved {
  from = aws_kms_key.jwt
  to   = aws_kms_key.jwt[0]
}

moved {
  from = aws_kms_alias.jwt
  to   = aws_kms_alias.jwt[0]
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
      condition     = startswith(self.customer_master_key_spec, "RSA_") ? each.value.algorithm != null : (each.value.algorithm == null || each.value.algorithm == lookup(local.ec_algorithms, self.customer_master_key_spec, "-"))
      error_message = "trusted key ${each.key} (${self.customer_master_key_spec}): an RSA key needs its algorithm named; an EC key is trusted for its curve's algorithm only."
    }
    postcondition {
      condition     = each.value.algorithm == null || contains(self.signing_algorithms, lookup({ ES256 = "ECDSA_SHA_256", ES256K = "ECDSA_SHA_256", ES384 = "ECDSA_SHA_384", ES512 = "ECDSA_SHA_512", RS256 = "RSASSA_PKCS1_V1_5_SHA_256", RS384 = "RSASSA_PKCS1_V1_5_SHA_384", RS512 = "RSASSA_PKCS1_V1_5_SHA_512", PS256 = "RSASSA_PSS_SHA_256", PS384 = "RSASSA_PSS_SHA_384", PS512 = "RSASSA_PSS_SHA_512" }, coalesce(each.value.algorithm, "-"), "-"))
      error_message = "trusted key ${each.key}: its signing algorithms do not include the one named."
    }
  }
}

# ---- the function ---------------------------------------------------------

resource "aws_cloudwatch_log_group" "function" {
  #checkov:skip=CKV_AWS_158:The function never logs tokens or claims; CloudWatch encrypts at rest by default, and var.log_kms_key_arn adds a CMK where policy requires one.
  #checkov:skip=CKV_AWS_338:Retention is var.log_retention_days (default 30 days); decision logs carry no secrets and a year is the caller's choice.
  name              = "/aws/lambda/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_kms_key_arn
  tags              = var.tags
}

resource "aws_iam_role" "function" {
  name = "${var.name}-function"
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

resource "aws_iam_role_policy" "logs" {
  name = "logs"
  role = aws_iam_role.function.id
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
  count = var.key_source == "kms" ? 1 : 0
  name  = "kms-get-public-key"
  role  = aws_iam_role.function.id
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
  count = var.xray_tracing ? 1 : 0
  name  = "xray"
  role  = aws_iam_role.function.id
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
  role                           = aws_iam_role.function.arn
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
      application_log_level = "INFO"
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

# ---- the API --------------------------------------------------------------

resource "aws_apigatewayv2_api" "http" {
  name          = var.name
  protocol_type = "HTTP"
  tags          = var.tags
}

resource "aws_apigatewayv2_authorizer" "jwt" {
  api_id                            = aws_apigatewayv2_api.http.id
  name                              = "${var.name}-es512"
  authorizer_type                   = "REQUEST"
  authorizer_payload_format_version = "2.0"
  enable_simple_responses           = true
  identity_sources                  = ["$request.header.Authorization"]
  authorizer_result_ttl_in_seconds  = var.cache_ttl_seconds
  authorizer_uri                    = aws_lambda_function.authorizer.invoke_arn
}

resource "aws_lambda_permission" "api_gateway" {
  statement_id  = "AllowApiGatewayAuthorizer"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.authorizer.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.http.execution_arn}/authorizers/${aws_apigatewayv2_authorizer.jwt.id}"
}

resource "aws_apigatewayv2_integration" "route" {
  for_each               = var.routes
  api_id                 = aws_apigatewayv2_api.http.id
  integration_type       = each.value.integration_type
  integration_uri        = each.value.integration_uri
  integration_method     = each.value.integration_type == "HTTP_PROXY" ? each.value.integration_method : null
  payload_format_version = each.value.integration_type == "AWS_PROXY" ? "2.0" : "1.0"
}

resource "aws_apigatewayv2_route" "route" {
  for_each           = var.routes
  api_id             = aws_apigatewayv2_api.http.id
  route_key          = each.key
  target             = "integrations/${aws_apigatewayv2_integration.route[each.key].id}"
  authorization_type = "CUSTOM"
  authorizer_id      = aws_apigatewayv2_authorizer.jwt.id
}

resource "aws_cloudwatch_log_group" "access" {
  #checkov:skip=CKV_AWS_158:Access logs hold request metadata only (no Authorization header); var.log_kms_key_arn adds a CMK where policy requires one.
  #checkov:skip=CKV_AWS_338:Retention is var.log_retention_days (default 30 days), the caller's choice.
  name              = "/aws/apigateway/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_kms_key_arn
  tags              = var.tags
}

resource "aws_apigatewayv2_stage" "stage" {
  api_id      = aws_apigatewayv2_api.http.id
  name        = var.stage_name
  auto_deploy = true

  # Both limits set explicitly: route settings without them default to 0,
  # which throttles every request with 429.
  default_route_settings {
    throttling_rate_limit  = var.throttling_rate_limit
    throttling_burst_limit = var.throttling_burst_limit
  }

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.access.arn
    format = jsonencode({
      requestId         = "$context.requestId"
      requestTime       = "$context.requestTime"
      routeKey          = "$context.routeKey"
      status            = "$context.status"
      responseLatency   = "$context.responseLatency"
      sourceIp          = "$context.identity.sourceIp"
      authorizerError   = "$context.authorizer.error"
      authorizerStatus  = "$context.authorizer.status"
      authorizerLatency = "$context.authorizer.latency"
      principalSub      = "$context.authorizer.sub"
      integrationError  = "$context.integrationErrorMessage"
    })
  }

  tags = var.tags
}
