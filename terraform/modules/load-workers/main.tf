# Load workers on ECS Fargate for `harness load`'s sharded runs: the run
# bucket (manifests, ready markers, go.json, results), the cluster, the task
# definition of one worker, its roles and its security group.
#
# Run data in the bucket, by run id:
#   runs/<run>/manifest.json        the coordinator writes it; workers read it (valid bearer tokens)
#   runs/<run>/go.json              the coordinator writes T0; workers read it
#   runs/<run>/ready/<shard>        each worker, when it has the manifest
#   runs/<run>/results/<shard>/...  each worker's report

data "aws_region" "current" {}
data "aws_partition" "current" {}
data "aws_caller_identity" "current" {}

locals {
  assume_ecs_tasks = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "ecs-tasks.amazonaws.com" }
      Condition = { StringEquals = { "aws:SourceAccount" = data.aws_caller_identity.current.account_id } }
    }]
  })
  runs_prefix = "runs/"
  container   = "worker"
  tags        = merge(var.tags, { "harness:component" = "load-workers" })
}

resource "aws_s3_bucket" "runs" {
  #checkov:skip=CKV_AWS_18:Run data expires within var.run_data_expiration_days; the coordinator and the workers are its only readers and writers, through their roles.
  #checkov:skip=CKV_AWS_144:Run data is short-lived by design; a replica would keep valid tokens elsewhere.
  #checkov:skip=CKV2_AWS_62:Nothing reacts to run data; the coordinator polls for it.
  bucket_prefix = "${var.name}-runs-"
  force_destroy = var.force_destroy
  tags          = local.tags
}

resource "aws_s3_bucket_ownership_controls" "runs" {
  bucket = aws_s3_bucket.runs.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "runs" {
  bucket                  = aws_s3_bucket.runs.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "runs" {
  bucket = aws_s3_bucket.runs.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "runs" {
  #checkov:skip=CKV2_AWS_67:Key rotation is the owner's setting of var.bucket_kms_key_arn; SSE-S3 keys are AWS-managed.
  bucket = aws_s3_bucket.runs.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = var.bucket_kms_key_arn == null ? "AES256" : "aws:kms"
      kms_master_key_id = var.bucket_kms_key_arn
    }
    bucket_key_enabled = var.bucket_kms_key_arn != null
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "runs" {
  bucket = aws_s3_bucket.runs.id

  rule {
    id     = "expire-run-data"
    status = "Enabled"
    filter {
      prefix = local.runs_prefix
    }
    expiration {
      days = var.run_data_expiration_days
    }
    noncurrent_version_expiration {
      noncurrent_days = 1
    }
  }

  rule {
    id     = "abort-uploads"
    status = "Enabled"
    filter {}
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  depends_on = [aws_s3_bucket_versioning.runs]
}

resource "aws_s3_bucket_policy" "runs" {
  count  = var.enforce_tls ? 1 : 0
  bucket = aws_s3_bucket.runs.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "DenyInsecureTransport"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = [aws_s3_bucket.runs.arn, "${aws_s3_bucket.runs.arn}/*"]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
  })
  depends_on = [aws_s3_bucket_public_access_block.runs]
}

resource "aws_ecs_cluster" "workers" {
  name = var.name
  setting {
    name  = "containerInsights"
    value = "enabled"
  }
  tags = local.tags
}

resource "aws_cloudwatch_log_group" "workers" {
  #checkov:skip=CKV_AWS_158:Workers log stage lines and verdicts, never tokens; CloudWatch encrypts at rest by default.
  #checkov:skip=CKV_AWS_338:Retention is var.log_retention_days, the caller's choice.
  name              = "/ecs/${var.name}"
  retention_in_days = var.log_retention_days
  tags              = local.tags
}

# What ECS needs to start a worker: pull the image, write its logs.
resource "aws_iam_role" "execution" {
  name_prefix        = "${var.name}-exec-"
  assume_role_policy = local.assume_ecs_tasks
  tags               = local.tags
}

resource "aws_iam_role_policy" "execution" {
  name = "start-worker"
  role = aws_iam_role.execution.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Sid = "RegistryToken", Effect = "Allow", Action = ["ecr:GetAuthorizationToken"], Resource = "*" },
      {
        Sid    = "PullImage"
        Effect = "Allow"
        Action = ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"]
        Resource = coalesce(
          var.image_repository_arn,
          "arn:${data.aws_partition.current.partition}:ecr:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:repository/*"
        )
      },
      {
        Sid      = "Logs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = "${aws_cloudwatch_log_group.workers.arn}:*"
      },
    ]
  })
}

# What a worker does: read its run's manifest and go.json, write its ready
# marker and its results. Nothing else: no KMS, no Lambda, no logs reads.
resource "aws_iam_role" "task" {
  name_prefix        = "${var.name}-task-"
  assume_role_policy = local.assume_ecs_tasks
  tags               = local.tags
}

resource "aws_iam_role_policy" "task" {
  name = "run-shard"
  role = aws_iam_role.task.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(
      [
        {
          Sid    = "ReadRun"
          Effect = "Allow"
          Action = ["s3:GetObject"]
          Resource = [
            "${aws_s3_bucket.runs.arn}/${local.runs_prefix}*/manifest.json",
            "${aws_s3_bucket.runs.arn}/${local.runs_prefix}*/go.json",
          ]
        },
        {
          Sid    = "WriteShard"
          Effect = "Allow"
          Action = ["s3:PutObject"]
          Resource = [
            "${aws_s3_bucket.runs.arn}/${local.runs_prefix}*/ready/*",
            "${aws_s3_bucket.runs.arn}/${local.runs_prefix}*/results/*",
          ]
        },
        {
          Sid       = "ListRun"
          Effect    = "Allow"
          Action    = ["s3:ListBucket"]
          Resource  = aws_s3_bucket.runs.arn
          Condition = { StringLike = { "s3:prefix" = ["${local.runs_prefix}*"] } }
        },
      ],
      [for k in compact([var.bucket_kms_key_arn]) : {
        Sid      = "BucketKey"
        Effect   = "Allow"
        Action   = ["kms:Decrypt", "kms:GenerateDataKey"]
        Resource = k
      }],
    )
  })
}

resource "aws_security_group" "workers" {
  #checkov:skip=CKV2_AWS_5:Attached to each worker task by the coordinator's RunTask (awsvpcConfiguration), not by Terraform.
  name_prefix = "${var.name}-"
  description = "harness load workers: egress to the target, S3 and the registry only"
  vpc_id      = var.vpc_id
  tags        = local.tags
  # No ingress, ever: workers only connect out.
  ingress = []

  dynamic "egress" {
    for_each = toset(var.egress_ports)
    content {
      description = "TCP ${egress.value} out"
      from_port   = egress.value
      to_port     = egress.value
      protocol    = "tcp"
      cidr_blocks = ["0.0.0.0/0"]
    }
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_ecs_task_definition" "worker" {
  family                   = var.name
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.cpu
  memory                   = var.memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn
  tags                     = local.tags

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  volume {
    name = "work"
  }

  container_definitions = jsonencode([{
    name                   = local.container
    image                  = var.image
    essential              = true
    memory                 = var.memory
    readonlyRootFilesystem = true
    # RunTask overrides it per shard: load worker --manifest s3://… --shard I/N.
    command     = ["load", "--help"]
    mountPoints = [{ sourceVolume = "work", containerPath = "/work", readOnly = false }]
    ulimits     = [{ name = "nofile", softLimit = var.nofile, hardLimit = var.nofile }]
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.workers.name
        awslogs-region        = data.aws_region.current.name
        awslogs-stream-prefix = "shard"
      }
    }
  }])
}
