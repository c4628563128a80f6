variable "name" {
  description = "Name prefix of every resource (cluster, task family, roles, log group, security group, bucket prefix)."
  type        = string
  default     = "harness-load"

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{0,30}$", var.name))
    error_message = "name must be 1-31 lowercase letters, digits or hyphens, starting with a letter or digit (it prefixes the S3 bucket)."
  }
}

variable "image" {
  description = "The worker image (harness/Containerfile), e.g. 123456789012.dkr.ecr.us-east-1.amazonaws.com/harness:TAG."
  type        = string

  validation {
    condition     = length(trimspace(var.image)) > 0
    error_message = "image must name the worker image (harness/Containerfile)."
  }
}

variable "image_repository_arn" {
  description = "The ECR repository the image is pulled from, to scope the execution role's pull permission (null: any repository of the account's registry, for images elsewhere give null)."
  type        = string
  default     = null
}

variable "vpc_id" {
  description = "The VPC of the workers' security group."
  type        = string
}

variable "subnet_ids" {
  description = "Subnets the tasks run in (RunTask's awsvpcConfiguration); they need a route to the target, S3 and the image registry."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) > 0
    error_message = "subnet_ids must name at least one subnet."
  }
}

variable "assign_public_ip" {
  description = "Give each task a public IP (public subnets without a NAT gateway need it to reach the target, S3 and the registry)."
  type        = bool
  default     = false
}

variable "egress_ports" {
  description = "TCP ports the workers may connect to (the target, S3, the registry); no ingress is ever allowed."
  type        = list(number)
  default     = [443]

  validation {
    condition     = length(var.egress_ports) > 0 && alltrue([for p in var.egress_ports : p >= 1 && p <= 65535 && floor(p) == p])
    error_message = "egress_ports must be whole TCP ports from 1 to 65535, at least one."
  }
}

variable "cpu" {
  description = "Task CPU units (Fargate: 256, 512, 1024, 2048, 4096, 8192, 16384)."
  type        = number
  default     = 1024

  validation {
    condition     = contains([256, 512, 1024, 2048, 4096, 8192, 16384], var.cpu)
    error_message = "cpu must be a Fargate size: 256, 512, 1024, 2048, 4096, 8192 or 16384."
  }
}

variable "memory" {
  description = "Task memory, MiB (a size Fargate allows for var.cpu)."
  type        = number
  default     = 2048

  validation {
    condition     = var.memory >= 512 && var.memory <= 122880 && floor(var.memory) == var.memory
    error_message = "memory must be whole MiB from 512 to 122880 (and a size Fargate allows for cpu)."
  }
}

variable "nofile" {
  description = "Open files per worker (soft and hard ulimit): each request in flight holds a socket."
  type        = number
  default     = 65536

  validation {
    condition     = var.nofile >= 1024 && var.nofile <= 1048576
    error_message = "nofile must be from 1024 to 1048576."
  }
}

variable "run_data_expiration_days" {
  description = "Days after which run data expires from the bucket: manifests hold valid bearer tokens, results the run's figures."
  type        = number
  default     = 2

  validation {
    condition     = var.run_data_expiration_days >= 1 && var.run_data_expiration_days <= 30
    error_message = "run_data_expiration_days must be from 1 to 30: manifests hold valid bearer tokens."
  }
}

variable "bucket_kms_key_arn" {
  description = "A KMS key for the bucket's encryption (null: SSE-S3). The task role is then allowed to use it."
  type        = string
  default     = null
}

variable "log_retention_days" {
  description = "Retention of the workers' log group, days."
  type        = number
  default     = 14
}

variable "enforce_tls" {
  description = "A bucket policy denying requests without TLS. Keep true; only an emulator without TLS needs false (moto denies every object request under this policy, whatever the transport)."
  type        = bool
  default     = true
}

variable "force_destroy" {
  description = "Let terraform destroy the bucket with run data in it."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
