# Plan-time assertions against a mocked AWS provider (no network).

mock_provider "aws" {
  override_during = plan

  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012", arn = "arn:aws:iam::123456789012:user/ci", user_id = "AIDATEST" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws", dns_suffix = "amazonaws.com" }
  }
  mock_data "aws_region" {
    defaults = { name = "us-east-1" }
  }
  mock_data "aws_kms_public_key" {
    defaults = {
      public_key_pem           = "-----BEGIN PUBLIC KEY-----\nMOCK\n-----END PUBLIC KEY-----\n"
      customer_master_key_spec = "ECC_NIST_P521"
      key_usage                = "SIGN_VERIFY"
      signing_algorithms       = ["ECDSA_SHA_512"]
    }
  }
  mock_resource "aws_kms_key" {
    defaults = {
      arn    = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
      key_id = "11111111-2222-3333-4444-555555555555"
    }
  }
  mock_resource "aws_kms_alias" {
    defaults = { arn = "arn:aws:kms:us-east-1:123456789012:alias/jwt-authorizer" }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/jwt-authorizer-function", id = "jwt-authorizer-function" }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/jwt-authorizer" }
  }
  mock_resource "aws_lambda_function" {
    defaults = {
      arn        = "arn:aws:lambda:us-east-1:123456789012:function:jwt-authorizer"
      invoke_arn = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:jwt-authorizer/invocations"
    }
  }
  mock_resource "aws_apigatewayv2_api" {
    defaults = {
      id            = "abc123defg"
      execution_arn = "arn:aws:execute-api:us-east-1:123456789012:abc123defg"
      api_endpoint  = "https://abc123defg.execute-api.us-east-1.amazonaws.com"
    }
  }
  mock_resource "aws_apigatewayv2_authorizer" {
    defaults = { id = "auth123" }
  }
  mock_resource "aws_apigatewayv2_integration" {
    defaults = { id = "integ12" }
  }
  mock_resource "aws_apigatewayv2_stage" {
    defaults = { invoke_url = "https://abc123defg.execute-api.us-east-1.amazonaws.com/" }
  }
}

variables {
  lambda_zip_path = "tests/fixtures/bootstrap.zip"
  issuer          = "https://issuer.example.com"
  audience        = ["api", "api2"]
  routes = {
    "GET /hello" = { integration_uri = "https://backend.example.com/hello" }
  }
}

run "signing_key_is_p521_sign_verify" {
  command = plan
  assert {
    condition     = aws_kms_key.jwt[0].customer_master_key_spec == "ECC_NIST_P521" && aws_kms_key.jwt[0].key_usage == "SIGN_VERIFY"
    error_message = "the key must be ECC_NIST_P521 / SIGN_VERIFY"
  }
  assert {
    condition     = aws_kms_key.jwt[0].deletion_window_in_days == 30 && aws_kms_alias.jwt[0].name == "alias/jwt-authorizer"
    error_message = "deletion window and alias"
  }
  assert {
    condition     = jsondecode(aws_kms_key.jwt[0].policy).Statement[0].Principal.AWS == "arn:aws:iam::123456789012:root"
    error_message = "the key policy is explicit and administered by the account"
  }
}

run "pem_source_needs_no_kms_permission_and_no_network" {
  command = plan
  assert {
    condition     = length(aws_iam_role_policy.kms) == 0
    error_message = "with the PEM source the function needs no KMS permission at all"
  }
  assert {
    # The value is read from aws_kms_public_key during apply (it depends on
    # the new key), so the plan checks the wiring by key.
    condition     = contains(keys(aws_lambda_function.authorizer.environment[0].variables), "JWT_PUBLIC_KEY_PEM") && data.aws_kms_public_key.jwt[0].key_id == aws_kms_key.jwt[0].arn
    error_message = "the public key from aws_kms_public_key reaches JWT_PUBLIC_KEY_PEM"
  }
  assert {
    condition     = aws_lambda_function.authorizer.environment[0].variables["JWT_PUBLIC_KEY_KIDS"] == "11111111-2222-3333-4444-555555555555,arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555,alias/jwt-authorizer"
    error_message = "kids bound to the key id, ARN and alias"
  }
  assert {
    condition     = !contains(keys(aws_lambda_function.authorizer.environment[0].variables), "JWT_KMS_KEY_IDS")
    error_message = "no KMS call at cold start with the PEM source"
  }
  assert {
    condition     = aws_lambda_function.authorizer.environment[0].variables["JWT_AUDIENCE"] == "api,api2" && aws_lambda_function.authorizer.environment[0].variables["JWT_ISSUER"] == "https://issuer.example.com"
    error_message = "issuer and audience wiring"
  }
}

run "kms_source_grants_only_get_public_key_on_that_key" {
  command = plan
  variables {
    key_source = "kms"
  }
  assert {
    condition     = jsondecode(aws_iam_role_policy.kms[0].policy).Statement[0].Action == ["kms:GetPublicKey"]
    error_message = "the only KMS action is kms:GetPublicKey"
  }
  assert {
    condition     = jsondecode(aws_iam_role_policy.kms[0].policy).Statement[0].Resource == ["arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"]
    error_message = "on that key only"
  }
  assert {
    condition     = aws_lambda_function.authorizer.environment[0].variables["JWT_KMS_KEY_IDS"] == "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    error_message = "JWT_KMS_KEY_IDS names the key"
  }
}

run "logs_only_on_its_own_log_group" {
  command = plan
  assert {
    condition     = jsondecode(aws_iam_role_policy.logs.policy).Statement[0].Resource == "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/jwt-authorizer:*"
    error_message = "log permissions are scoped to the function's log group"
  }
  assert {
    condition     = length(jsondecode(aws_iam_role_policy.logs.policy).Statement) == 1 && !contains(jsondecode(aws_iam_role_policy.logs.policy).Statement[0].Action, "logs:CreateLogGroup")
    error_message = "the log group is Terraform's; the function cannot create others"
  }
}

run "function_runtime_and_logging" {
  command = plan
  assert {
    condition     = aws_lambda_function.authorizer.runtime == "provided.al2023" && aws_lambda_function.authorizer.handler == "bootstrap"
    error_message = "provided.al2023 with handler bootstrap"
  }
  assert {
    condition     = aws_lambda_function.authorizer.architectures[0] == "x86_64" && aws_lambda_function.authorizer.reserved_concurrent_executions == -1
    error_message = "default architecture and unreserved concurrency"
  }
  assert {
    condition     = aws_lambda_function.authorizer.logging_config[0].log_format == "JSON"
    error_message = "JSON logs"
  }
}

run "authorizer_wiring" {
  command = plan
  assert {
    condition     = aws_apigatewayv2_authorizer.jwt.authorizer_type == "REQUEST" && aws_apigatewayv2_authorizer.jwt.authorizer_payload_format_version == "2.0"
    error_message = "REQUEST authorizer, payload 2.0"
  }
  assert {
    condition     = aws_apigatewayv2_authorizer.jwt.enable_simple_responses == true
    error_message = "simple responses"
  }
  assert {
    condition     = aws_apigatewayv2_authorizer.jwt.identity_sources == toset(["$request.header.Authorization"])
    error_message = "identity source is the Authorization header"
  }
  assert {
    condition     = aws_apigatewayv2_authorizer.jwt.authorizer_result_ttl_in_seconds == 300
    error_message = "default TTL 300"
  }
  assert {
    condition     = aws_lambda_permission.api_gateway.source_arn == "arn:aws:execute-api:us-east-1:123456789012:abc123defg/authorizers/auth123"
    error_message = "the invoke permission is scoped to this authorizer"
  }
  assert {
    condition     = aws_apigatewayv2_route.route["GET /hello"].authorization_type == "CUSTOM" && aws_apigatewayv2_route.route["GET /hello"].authorizer_id == "auth123"
    error_message = "every route is protected by the authorizer"
  }
}

run "ttl_and_throttling_are_wired" {
  command = plan
  variables {
    cache_ttl_seconds      = 0
    throttling_rate_limit  = 250
    throttling_burst_limit = 125
  }
  assert {
    condition     = aws_apigatewayv2_authorizer.jwt.authorizer_result_ttl_in_seconds == 0
    error_message = "TTL variable reaches the authorizer"
  }
  assert {
    condition     = aws_apigatewayv2_stage.stage.default_route_settings[0].throttling_rate_limit == 250 && aws_apigatewayv2_stage.stage.default_route_settings[0].throttling_burst_limit == 125
    error_message = "throttling variables reach the stage"
  }
  assert {
    condition     = strcontains(aws_apigatewayv2_stage.stage.access_log_settings[0].format, "$context.authorizer.error")
    error_message = "access logs include the authorizer error"
  }
}

run "rejects_ttl_above_3600" {
  command = plan
  variables {
    cache_ttl_seconds = 3601
  }
  expect_failures = [var.cache_ttl_seconds]
}

run "rejects_zero_throttling" {
  command = plan
  variables {
    throttling_rate_limit = 0
  }
  expect_failures = [var.throttling_rate_limit]
}

run "rejects_zero_burst" {
  command = plan
  variables {
    throttling_burst_limit = 0
  }
  expect_failures = [var.throttling_burst_limit]
}

run "rejects_unknown_architecture" {
  command = plan
  variables {
    architecture = "riscv64"
  }
  expect_failures = [var.architecture]
}

run "rejects_leeway_above_300" {
  command = plan
  variables {
    leeway_seconds = 301
  }
  expect_failures = [var.leeway_seconds]
}

run "rejects_empty_audience" {
  command = plan
  variables {
    audience = []
  }
  expect_failures = [var.audience]
}

run "rejects_bad_route_keys" {
  command = plan
  variables {
    routes = { "hello" = { integration_uri = "https://x.example" } }
  }
  expect_failures = [var.routes]
}

run "rejects_zero_reserved_concurrency" {
  command = plan
  variables {
    reserved_concurrency = 0
  }
  expect_failures = [var.reserved_concurrency]
}

run "system_log_level_keeps_report_records" {
  command = plan
  assert {
    condition     = aws_lambda_function.authorizer.logging_config[0].system_log_level == "INFO"
    error_message = "system_log_level defaults to INFO, so platform.report (Init Duration) reaches CloudWatch"
  }
}

run "rejects_system_log_level_above_warn" {
  command = plan
  variables {
    system_log_level = "ERROR"
  }
  expect_failures = [var.system_log_level]
}

run "outputs_describe_the_deployment_for_the_harness" {
  command = plan
  assert {
    condition     = output.log_group_name == "/aws/lambda/${var.name}" && output.function_name == var.name
    error_message = "function name and log group"
  }
  assert {
    condition     = output.stage_name == var.stage_name
    error_message = "stage name"
  }
  assert {
    condition = output.kids == [
      "11111111-2222-3333-4444-555555555555",
      "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555",
      "alias/${var.name}",
    ]
    error_message = "the kids bound to the key"
  }
}

# ---- algorithms and rotation (README "Rotating the signing key") ------------

run "the_default_key_is_pinned_to_es512" {
  command = plan
  assert {
    condition     = aws_lambda_function.authorizer.environment[0].variables["JWT_PUBLIC_KEY_ALG"] == "ES512" && output.key_algorithm == "ES512"
    error_message = "the module's key is trusted for ES512 only"
  }
  assert {
    condition     = aws_lambda_function.authorizer.environment[0].variables["JWT_PUBLIC_KEY_KIDS"] == "11111111-2222-3333-4444-555555555555,arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555,alias/jwt-authorizer"
    error_message = "one kid group: key id, ARN, alias"
  }
}

run "an_rsa_key_names_its_algorithm" {
  command = plan
  variables {
    key_spec      = "RSA_3072"
    key_algorithm = "PS256"
    key_source    = "kms"
  }
  assert {
    condition     = aws_kms_key.jwt[0].customer_master_key_spec == "RSA_3072"
    error_message = "the key spec"
  }
  assert {
    condition     = aws_lambda_function.authorizer.environment[0].variables["JWT_KMS_KEY_IDS"] == "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555:PS256"
    error_message = "an RSA KMS entry carries its algorithm"
  }
}

run "rejects_an_rsa_key_without_algorithm" {
  command = plan
  variables {
    key_spec = "RSA_2048"
  }
  expect_failures = [aws_kms_key.jwt]
}

run "rejects_an_ec_key_with_another_algorithm" {
  command = plan
  variables {
    key_spec      = "ECC_NIST_P256"
    key_algorithm = "ES512"
  }
  expect_failures = [aws_kms_key.jwt]
}

# Rotation step 1: create the new key (outside the module) and trust both.
run "rotation_1_trusts_the_old_and_the_new_key" {
  command = plan
  variables {
    trusted_keys = [{ arn = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-44cd-96ef-1234567890ab" }]
  }
  assert {
    condition     = length(aws_kms_key.jwt) == 1 && length(output.trusted_keys) == 2
    error_message = "the module's key stays; the new one joins"
  }
  assert {
    condition     = aws_lambda_function.authorizer.environment[0].variables["JWT_PUBLIC_KEY_ALG"] == "ES512,ES512"
    error_message = "one algorithm per key, in order"
  }
  assert {
    condition     = endswith(aws_lambda_function.authorizer.environment[0].variables["JWT_PUBLIC_KEY_KIDS"], ";1234abcd-12ab-44cd-96ef-1234567890ab,arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-44cd-96ef-1234567890ab")
    error_message = "the new key's kids (its id and ARN) form the second group"
  }
}

run "rotation_1_with_kms_source_lists_both_keys_and_may_read_both" {
  command = plan
  variables {
    key_source   = "kms"
    trusted_keys = [{ arn = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-44cd-96ef-1234567890ab", algorithm = "RS256" }]
  }
  override_data {
    target = data.aws_kms_public_key.trusted["arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-44cd-96ef-1234567890ab"]
    values = {
      customer_master_key_spec = "RSA_2048"
      key_usage                = "SIGN_VERIFY"
      signing_algorithms       = ["RSASSA_PKCS1_V1_5_SHA_256", "RSASSA_PSS_SHA_256"]
    }
  }
  assert {
    condition     = aws_lambda_function.authorizer.environment[0].variables["JWT_KMS_KEY_IDS"] == "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555,arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-44cd-96ef-1234567890ab:RS256"
    error_message = "both keys, the RSA one with its algorithm"
  }
  assert {
    condition     = length(jsondecode(aws_iam_role_policy.kms[0].policy).Statement[0].Resource) == 2
    error_message = "GetPublicKey on both keys"
  }
}

run "rejects_a_trusted_rsa_key_without_algorithm" {
  command = plan
  variables {
    trusted_keys = [{ arn = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-44cd-96ef-1234567890ab" }]
  }
  override_data {
    target = data.aws_kms_public_key.trusted["arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-44cd-96ef-1234567890ab"]
    values = {
      customer_master_key_spec = "RSA_2048"
      key_usage                = "SIGN_VERIFY"
      signing_algorithms       = ["RSASSA_PSS_SHA_256"]
    }
  }
  expect_failures = [data.aws_kms_public_key.trusted]
}

run "rejects_a_trusted_key_that_cannot_sign_as_named" {
  command = plan
  variables {
    trusted_keys = [{ arn = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-44cd-96ef-1234567890ab", algorithm = "ES384" }]
  }
  expect_failures = [data.aws_kms_public_key.trusted]
}

run "rejects_a_trusted_alias" {
  command = plan
  variables {
    trusted_keys = [{ arn = "arn:aws:kms:us-east-1:123456789012:alias/next" }]
  }
  expect_failures = [var.trusted_keys]
}

# Rotation step 4 (after switching the issuer and waiting out the longest
# token lifetime plus the cache TTL): untrust the old key.
run "rotation_4_untrusts_the_module_key" {
  command = plan
  variables {
    create_key   = false
    trusted_keys = [{ arn = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-44cd-96ef-1234567890ab" }]
  }
  assert {
    condition     = length(aws_kms_key.jwt) == 0 && length(aws_kms_alias.jwt) == 0 && output.kms_key_arn == null
    error_message = "the module's key and alias are gone from the plan"
  }
  assert {
    condition     = aws_lambda_function.authorizer.environment[0].variables["JWT_PUBLIC_KEY_KIDS"] == "1234abcd-12ab-44cd-96ef-1234567890ab,arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-44cd-96ef-1234567890ab"
    error_message = "only the new key is trusted"
  }
}

# A later rotation between two external keys: the list is exactly what is
# trusted, in order, each key with its own kids and algorithm.
run "external_keys_alone_with_explicit_kids" {
  command = plan
  variables {
    create_key = false
    trusted_keys = [
      { arn = "arn:aws:kms:us-east-1:123456789012:key/abcd1234-ab12-4d34-8f56-abcdef123456", kids = ["current"] },
      { arn = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-44cd-96ef-1234567890ab", kids = ["next", "next-2"] },
    ]
  }
  assert {
    condition     = aws_lambda_function.authorizer.environment[0].variables["JWT_PUBLIC_KEY_KIDS"] == "current;next,next-2"
    error_message = "explicit kids replace the defaults, one group per key in order"
  }
  assert {
    condition     = output.trusted_keys[1].kids[1] == "next-2" && output.kids == [] && output.key_algorithm == null
    error_message = "outputs describe the external keys; the module has no key of its own"
  }
}

run "rejects_trusting_no_key" {
  command = plan
  variables {
    create_key = false
  }
  expect_failures = [aws_lambda_function.authorizer]
}

run "metrics_on_and_no_alarms_by_default" {
  command = plan
  assert {
    condition     = aws_lambda_function.authorizer.environment[0].variables["JWT_METRICS"] == "emf" && aws_lambda_function.authorizer.environment[0].variables["JWT_METRICS_NAMESPACE"] == "JwtAuthorizer"
    error_message = "EMF metrics are on by default in the module's namespace"
  }
  assert {
    condition     = length(aws_cloudwatch_metric_alarm.deny_ratio) + length(aws_cloudwatch_metric_alarm.errors) + length(aws_cloudwatch_metric_alarm.throttles) + length(aws_cloudwatch_metric_alarm.p99_duration) == 0
    error_message = "no alarm unless create_alarms"
  }
  assert {
    condition     = output.region == "us-east-1"
    error_message = "the region output"
  }
}

run "alarms_notify_the_topic" {
  command = plan
  variables {
    create_alarms       = true
    alarm_sns_topic_arn = "arn:aws:sns:us-east-1:123456789012:oncall"
  }
  assert {
    condition     = length(aws_cloudwatch_metric_alarm.deny_ratio) == 1 && length(aws_cloudwatch_metric_alarm.errors) == 1 && length(aws_cloudwatch_metric_alarm.throttles) == 1 && length(aws_cloudwatch_metric_alarm.p99_duration) == 1
    error_message = "four alarms"
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.errors[0].alarm_actions == toset(["arn:aws:sns:us-east-1:123456789012:oncall"]) && aws_cloudwatch_metric_alarm.p99_duration[0].extended_statistic == "p99"
    error_message = "alarms notify the topic; duration at p99"
  }
  assert {
    condition     = one([for q in aws_cloudwatch_metric_alarm.deny_ratio[0].metric_query : q.metric[0].dimensions["Outcome"] if q.id == "denies"]) == "deny"
    error_message = "the deny ratio reads the EMF Decisions metric by Outcome"
  }
}

run "metrics_off_drops_the_deny_ratio_alarm" {
  command = plan
  variables {
    metrics       = false
    create_alarms = true
  }
  assert {
    condition     = aws_lambda_function.authorizer.environment[0].variables["JWT_METRICS"] == "off" && length(aws_cloudwatch_metric_alarm.deny_ratio) == 0 && length(aws_cloudwatch_metric_alarm.errors) == 1
    error_message = "metrics off: JWT_METRICS=off and no deny-ratio alarm"
  }
}

run "rejects_a_bad_topic_arn" {
  command = plan
  variables {
    alarm_sns_topic_arn = "oncall"
  }
  expect_failures = [var.alarm_sns_topic_arn]
}

run "kms_source_deploys_the_kms_build" {
  command = plan
  variables {
    key_source          = "kms"
    lambda_kms_zip_path = "tests/fixtures/bootstrap-kms.zip"
  }
  assert {
    condition     = aws_lambda_function.authorizer.filename == "tests/fixtures/bootstrap-kms.zip"
    error_message = "key_source = kms deploys lambda_kms_zip_path"
  }
}

run "pem_source_deploys_the_lean_build" {
  command = plan
  variables {
    lambda_kms_zip_path = "tests/fixtures/bootstrap-kms.zip"
  }
  assert {
    condition     = aws_lambda_function.authorizer.filename == "tests/fixtures/bootstrap.zip"
    error_message = "key_source = pem deploys lambda_zip_path"
  }
}
