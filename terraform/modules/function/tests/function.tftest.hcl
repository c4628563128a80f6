# Plan-time assertions on the function module against a mocked AWS provider (no network).

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
      arn           = "arn:aws:lambda:us-east-1:123456789012:function:jwt-authorizer"
      invoke_arn    = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:jwt-authorizer/invocations"
      version       = "7"
      qualified_arn = "arn:aws:lambda:us-east-1:123456789012:function:jwt-authorizer:7"
    }
  }
  mock_resource "aws_lambda_alias" {
    defaults = {
      arn        = "arn:aws:lambda:us-east-1:123456789012:function:jwt-authorizer:live"
      invoke_arn = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:jwt-authorizer:live/invocations"
    }
  }
}

variables {
  lambda_zip_path = "tests/fixtures/bootstrap.zip"
  issuer          = "https://issuer.example.com"
  audience        = ["api", "api2"]
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
    condition     = jsondecode(aws_iam_role_policy.logs[0].policy).Statement[0].Resource == "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/jwt-authorizer:*"
    error_message = "log permissions are scoped to the function's log group"
  }
  assert {
    condition     = length(jsondecode(aws_iam_role_policy.logs[0].policy).Statement) == 1 && !contains(jsondecode(aws_iam_role_policy.logs[0].policy).Statement[0].Action, "logs:CreateLogGroup")
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

# The spec → algorithm mapping for Ed25519 and ML-DSA, pinned through
# trusted keys (their spec is read, not validated, at plan). The module's
# own key of these specs cannot be planned here: the offline mirror's
# provider (5.100.0) refuses the key spec ("expected
# customer_master_key_spec to be one of [...]"); a provider built with the
# AWS SDK for Go v2 of 2025-11-07 or later knows them.
run "a_trusted_ed25519_key_is_read_from_its_spec" {
  command = plan
  variables {
    trusted_keys = [{ arn = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-44cd-96ef-1234567890ab" }]
  }
  override_data {
    target = data.aws_kms_public_key.trusted["arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-44cd-96ef-1234567890ab"]
    values = {
      customer_master_key_spec = "ECC_NIST_EDWARDS25519"
      key_usage                = "SIGN_VERIFY"
      signing_algorithms       = ["ED25519_SHA_512", "ED25519_PH_SHA_512"]
    }
  }
  assert {
    condition     = aws_lambda_function.authorizer.environment[0].variables["JWT_PUBLIC_KEY_ALG"] == "ES512,Ed25519"
    error_message = "an ECC_NIST_EDWARDS25519 key is trusted for Ed25519"
  }
}

run "rejects_a_trusted_ml_dsa_key_named_for_another_level" {
  command = plan
  variables {
    trusted_keys = [{ arn = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-44cd-96ef-1234567890ab", algorithm = "ML-DSA-44" }]
  }
  override_data {
    target = data.aws_kms_public_key.trusted["arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-44cd-96ef-1234567890ab"]
    values = {
      customer_master_key_spec = "ML_DSA_65"
      key_usage                = "SIGN_VERIFY"
      signing_algorithms       = ["ML_DSA_SHAKE_256"]
    }
  }
  expect_failures = [data.aws_kms_public_key.trusted]
}

run "a_trusted_ml_dsa_key_is_read_from_its_spec" {
  command = plan
  variables {
    key_source   = "kms"
    trusted_keys = [{ arn = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-44cd-96ef-1234567890ab" }]
  }
  override_data {
    target = data.aws_kms_public_key.trusted["arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-44cd-96ef-1234567890ab"]
    values = {
      customer_master_key_spec = "ML_DSA_87"
      key_usage                = "SIGN_VERIFY"
      signing_algorithms       = ["ML_DSA_SHAKE_256"]
    }
  }
  assert {
    condition     = output.trusted_keys[1].algorithm == "ML-DSA-87" && endswith(aws_lambda_function.authorizer.environment[0].variables["JWT_KMS_KEY_IDS"], ",arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-44cd-96ef-1234567890ab")
    error_message = "a trusted ML_DSA_87 key is trusted for ML-DSA-87"
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
    condition     = length(aws_cloudwatch_metric_alarm.deny_ratio) + length(aws_cloudwatch_metric_alarm.lambda) + length(aws_cloudwatch_metric_alarm.p99_duration) == 0
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
    condition     = length(aws_cloudwatch_metric_alarm.deny_ratio) == 1 && length(aws_cloudwatch_metric_alarm.lambda) == 2 && length(aws_cloudwatch_metric_alarm.p99_duration) == 1
    error_message = "four alarms"
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.lambda["errors"].alarm_actions == toset(["arn:aws:sns:us-east-1:123456789012:oncall"]) && aws_cloudwatch_metric_alarm.p99_duration[0].extended_statistic == "p99"
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
    condition     = aws_lambda_function.authorizer.environment[0].variables["JWT_METRICS"] == "off" && length(aws_cloudwatch_metric_alarm.deny_ratio) == 0 && length(aws_cloudwatch_metric_alarm.lambda) == 2
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

# ---- versioned rollout and landing-zone conventions --------------------------

run "api_gateway_invokes_the_live_alias_of_a_published_version" {
  command = plan
  assert {
    condition     = aws_lambda_function.authorizer.publish == true && aws_lambda_alias.live.name == "live" && aws_lambda_alias.live.function_version == "7"
    error_message = "publish = true: the alias points at the version just published"
  }
  assert {
    condition     = output.invoke_arn == aws_lambda_alias.live.invoke_arn && endswith(output.invoke_arn, ":live/invocations")
    error_message = "invoke_arn is the alias's"
  }
  assert {
    condition     = length(aws_lambda_provisioned_concurrency_config.live) == 0
    error_message = "no provisioned concurrency unless asked"
  }
}

run "unpublished_alias_follows_latest" {
  command = plan
  variables {
    publish = false
  }
  assert {
    condition     = aws_lambda_alias.live.function_version == "$LATEST"
    error_message = "publish = false: the alias follows $LATEST"
  }
}

run "provisioned_concurrency_on_the_alias" {
  command = plan
  variables {
    provisioned_concurrency = 2
  }
  assert {
    condition     = aws_lambda_provisioned_concurrency_config.live[0].qualifier == "live" && aws_lambda_provisioned_concurrency_config.live[0].provisioned_concurrent_executions == 2
    error_message = "provisioned concurrency attaches to the alias"
  }
}

run "rejects_provisioned_concurrency_without_publish" {
  command = plan
  variables {
    publish                 = false
    provisioned_concurrency = 2
  }
  expect_failures = [aws_lambda_provisioned_concurrency_config.live]
}

run "role_path_boundary_and_log_level" {
  command = plan
  variables {
    role_path                 = "/workloads/"
    role_permissions_boundary = "arn:aws:iam::123456789012:policy/boundary"
    application_log_level     = "WARN"
    log_group_skip_destroy    = true
  }
  assert {
    condition     = aws_iam_role.function[0].path == "/workloads/" && aws_iam_role.function[0].permissions_boundary == "arn:aws:iam::123456789012:policy/boundary"
    error_message = "role path and permissions boundary"
  }
  assert {
    condition     = aws_lambda_function.authorizer.logging_config[0].application_log_level == "WARN" && aws_cloudwatch_log_group.function.skip_destroy == true
    error_message = "application log level and log group kept on destroy"
  }
}

run "bring_your_own_role" {
  command = plan
  variables {
    create_role = false
    role_arn    = "arn:aws:iam::123456789012:role/platform/authorizer"
  }
  assert {
    condition     = length(aws_iam_role.function) == 0 && length(aws_iam_role_policy.logs) == 0 && aws_lambda_function.authorizer.role == "arn:aws:iam::123456789012:role/platform/authorizer"
    error_message = "the role brought is used and left as it is"
  }
  assert {
    condition     = output.role_name == "authorizer"
    error_message = "role_name from the ARN"
  }
}

run "rejects_a_role_arn_that_is_not_one" {
  command = plan
  variables {
    create_role = false
    role_arn    = "authorizer"
  }
  expect_failures = [var.role_arn]
}

run "rejects_a_missing_zip" {
  command = plan
  variables {
    lambda_zip_path = "tests/fixtures/missing.zip"
  }
  expect_failures = [var.lambda_zip_path]
}

run "rejects_a_bad_log_kms_key_arn" {
  command = plan
  variables {
    log_kms_key_arn = "alias/logs"
  }
  expect_failures = [var.log_kms_key_arn]
}
