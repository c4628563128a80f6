# Plan-time assertions on the load workers module against a mocked AWS provider (no network).

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
  mock_resource "aws_s3_bucket" {
    defaults = { id = "harness-load-runs-abc", arn = "arn:aws:s3:::harness-load-runs-abc" }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws:logs:us-east-1:123456789012:log-group:/ecs/harness-load" }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/harness-load", id = "harness-load" }
  }
}

variables {
  image      = "123456789012.dkr.ecr.us-east-1.amazonaws.com/harness:abc"
  vpc_id     = "vpc-0123456789abcdef0"
  subnet_ids = ["subnet-0123456789abcdef0"]
}

run "the_bucket_is_private_encrypted_tls_only_and_expires_run_data" {
  command = plan
  assert {
    condition = alltrue([
      aws_s3_bucket_public_access_block.runs.block_public_acls,
      aws_s3_bucket_public_access_block.runs.block_public_policy,
      aws_s3_bucket_public_access_block.runs.ignore_public_acls,
      aws_s3_bucket_public_access_block.runs.restrict_public_buckets,
    ])
    error_message = "every public access is blocked"
  }
  assert {
    condition     = one(one(aws_s3_bucket_server_side_encryption_configuration.runs.rule).apply_server_side_encryption_by_default).sse_algorithm == "AES256"
    error_message = "SSE-S3 by default"
  }
  assert {
    condition     = jsondecode(aws_s3_bucket_policy.runs[0].policy).Statement[0].Effect == "Deny" && jsondecode(aws_s3_bucket_policy.runs[0].policy).Statement[0].Condition.Bool["aws:SecureTransport"] == "false"
    error_message = "requests without TLS are denied"
  }
  assert {
    condition     = aws_s3_bucket_lifecycle_configuration.runs.rule[0].status == "Enabled" && one(aws_s3_bucket_lifecycle_configuration.runs.rule[0].expiration).days == 2 && one(aws_s3_bucket_lifecycle_configuration.runs.rule[0].filter).prefix == "runs/"
    error_message = "run data expires after 2 days (manifests hold valid tokens)"
  }
  assert {
    condition     = one(aws_s3_bucket_lifecycle_configuration.runs.rule[1].abort_incomplete_multipart_upload).days_after_initiation == 1
    error_message = "incomplete uploads are aborted after a day"
  }
  assert {
    condition     = one(aws_s3_bucket_ownership_controls.runs.rule).object_ownership == "BucketOwnerEnforced"
    error_message = "no ACLs"
  }
}

run "the_worker_role_reaches_its_run_objects_only" {
  command = plan
  assert {
    condition     = [for s in jsondecode(aws_iam_role_policy.task.policy).Statement : s.Action] == [["s3:GetObject"], ["s3:PutObject"], ["s3:ListBucket"]]
    error_message = "read, write and list; no KMS, Lambda or logs"
  }
  assert {
    condition = alltrue(flatten([for s in slice(jsondecode(aws_iam_role_policy.task.policy).Statement, 0, 2) : [
      for r in s.Resource : startswith(r, "arn:aws:s3:::harness-load-runs-abc/runs/")
    ]]))
    error_message = "objects under runs/ only"
  }
  assert {
    condition     = jsondecode(aws_iam_role_policy.task.policy).Statement[2].Condition.StringLike["s3:prefix"] == ["runs/*"]
    error_message = "listing under runs/ only"
  }
  assert {
    condition     = jsondecode(aws_iam_role_policy.execution.policy).Statement[2].Resource == "arn:aws:logs:us-east-1:123456789012:log-group:/ecs/harness-load:*"
    error_message = "ECS writes the workers' logs to their own log group only"
  }
  assert {
    condition     = jsondecode(aws_iam_role.task.assume_role_policy).Statement[0].Principal.Service == "ecs-tasks.amazonaws.com" && jsondecode(aws_iam_role.task.assume_role_policy).Statement[0].Condition.StringEquals["aws:SourceAccount"] == "123456789012"
    error_message = "assumed by ECS tasks of this account only"
  }
}

run "a_bucket_key_is_used_and_granted" {
  command = plan
  variables {
    bucket_kms_key_arn = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  }
  assert {
    condition     = one(one(aws_s3_bucket_server_side_encryption_configuration.runs.rule).apply_server_side_encryption_by_default).sse_algorithm == "aws:kms"
    error_message = "SSE-KMS with the key"
  }
  assert {
    condition     = jsondecode(aws_iam_role_policy.task.policy).Statement[3].Resource == "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    error_message = "the workers may use that key only"
  }
}

run "the_task_is_one_fargate_worker_with_open_files_and_logs" {
  command = plan
  assert {
    condition     = aws_ecs_task_definition.worker.requires_compatibilities == toset(["FARGATE"]) && aws_ecs_task_definition.worker.network_mode == "awsvpc"
    error_message = "Fargate, awsvpc"
  }
  assert {
    condition     = jsondecode(aws_ecs_task_definition.worker.container_definitions)[0].ulimits == [{ name = "nofile", softLimit = 65536, hardLimit = 65536 }]
    error_message = "nofile 65536 (a socket per request in flight)"
  }
  assert {
    condition     = jsondecode(aws_ecs_task_definition.worker.container_definitions)[0].logConfiguration.logDriver == "awslogs" && jsondecode(aws_ecs_task_definition.worker.container_definitions)[0].logConfiguration.options["awslogs-group"] == "/ecs/harness-load"
    error_message = "awslogs to the workers' log group"
  }
  assert {
    condition     = jsondecode(aws_ecs_task_definition.worker.container_definitions)[0].readonlyRootFilesystem && jsondecode(aws_ecs_task_definition.worker.container_definitions)[0].memory == 2048
    error_message = "read-only root (reports go to the /work volume); container memory set"
  }
}

run "the_security_group_has_egress_only" {
  command = plan
  variables {
    egress_ports = [443, 8443]
  }
  assert {
    condition     = length(aws_security_group.workers.ingress) == 0
    error_message = "no ingress"
  }
  assert {
    condition     = join(",", sort([for e in aws_security_group.workers.egress : tostring(e.from_port)])) == "443,8443"
    error_message = "egress to the given ports only"
  }
}

run "rejects_a_size_fargate_lacks" {
  command = plan
  variables {
    cpu = 300
  }
  expect_failures = [var.cpu]
}

run "rejects_run_data_kept_a_long_time" {
  command = plan
  variables {
    run_data_expiration_days = 90
  }
  expect_failures = [var.run_data_expiration_days]
}

run "rejects_a_low_open_files_limit" {
  command = plan
  variables {
    nofile = 256
  }
  expect_failures = [var.nofile]
}

run "rejects_no_subnet" {
  command = plan
  variables {
    subnet_ids = []
  }
  expect_failures = [var.subnet_ids]
}

run "rejects_a_name_no_bucket_can_take" {
  command = plan
  variables {
    name = "Harness_Load"
  }
  expect_failures = [var.name]
}
