# Load workers for `harness load --engine ecs` in the default VPC's subnets.
# Against real AWS leave endpoint_url unset and give the worker image;
# against moto set endpoint_url to moto's URL (the image is then never
# pulled: `harness ecs-runner` runs each task as a local process).

terraform {
  required_version = ">= 1.7.0"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.60.0, < 7.0.0"
    }
  }
}

variable "region" {
  description = "AWS region."
  type        = string
  default     = "us-east-1"
}

variable "endpoint_url" {
  description = "A single endpoint for every service (moto_server); null for real AWS."
  type        = string
  default     = null
}

variable "image" {
  description = "The worker image (harness/Containerfile)."
  type        = string
  default     = "harness:local"
}

provider "aws" {
  region                      = var.region
  skip_credentials_validation = var.endpoint_url != null
  skip_requesting_account_id  = var.endpoint_url != null
  skip_metadata_api_check     = var.endpoint_url != null
  s3_use_path_style           = var.endpoint_url != null

  dynamic "endpoints" {
    for_each = var.endpoint_url == null ? [] : [var.endpoint_url]
    content {
      ec2  = endpoints.value
      ecs  = endpoints.value
      iam  = endpoints.value
      logs = endpoints.value
      s3   = endpoints.value
      sts  = endpoints.value
    }
  }
}

data "aws_vpc" "default" {
  default = true
}

data "aws_subnets" "default" {
  filter {
    name   = "vpc-id"
    values = [data.aws_vpc.default.id]
  }
}

module "workers" {
  source = "../../modules/load-workers"

  image      = var.image
  vpc_id     = data.aws_vpc.default.id
  subnet_ids = slice(sort(data.aws_subnets.default.ids), 0, 1)
  # Default subnets are public; without a NAT gateway a task needs a public IP.
  assign_public_ip = true
  # An example: destroy takes run data with it.
  force_destroy = true
  # moto (no TLS) denies every object request under the TLS-only policy,
  # whatever its condition says; real AWS keeps it.
  enforce_tls = var.endpoint_url == null
}

output "cluster_arn" {
  description = "RunTask's cluster."
  value       = module.workers.cluster_arn
}

output "task_definition_arn" {
  description = "RunTask's task definition."
  value       = module.workers.task_definition_arn
}

output "container_name" {
  description = "The worker's container."
  value       = module.workers.container_name
}

output "subnet_ids" {
  description = "The tasks' subnets."
  value       = module.workers.subnet_ids
}

output "security_group_id" {
  description = "The tasks' security group."
  value       = module.workers.security_group_id
}

output "assign_public_ip" {
  description = "Whether tasks get a public IP."
  value       = module.workers.assign_public_ip
}

output "bucket_name" {
  description = "The run bucket."
  value       = module.workers.bucket_name
}
