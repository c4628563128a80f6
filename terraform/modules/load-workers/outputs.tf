output "cluster_arn" {
  description = "The cluster the workers run in (RunTask's cluster)."
  value       = aws_ecs_cluster.workers.arn
}

output "task_definition_arn" {
  description = "The worker's task definition (RunTask's taskDefinition)."
  value       = aws_ecs_task_definition.worker.arn
}

output "container_name" {
  description = "The worker's container (RunTask's containerOverrides name)."
  value       = local.container
}

output "subnet_ids" {
  description = "The tasks' subnets (RunTask's awsvpcConfiguration)."
  value       = var.subnet_ids
}

output "security_group_id" {
  description = "The tasks' security group: egress only."
  value       = aws_security_group.workers.id
}

output "assign_public_ip" {
  description = "Whether tasks get a public IP."
  value       = var.assign_public_ip
}

output "bucket_name" {
  description = "The run bucket (manifests, ready markers, go.json, results under runs/<run>/)."
  value       = aws_s3_bucket.runs.id
}

output "bucket_arn" {
  description = "The run bucket's ARN."
  value       = aws_s3_bucket.runs.arn
}

output "log_group_name" {
  description = "The workers' log group."
  value       = aws_cloudwatch_log_group.workers.name
}

output "task_role_arn" {
  description = "The workers' role: its run's objects only."
  value       = aws_iam_role.task.arn
}

output "execution_role_arn" {
  description = "The role ECS starts workers with (image pull, logs)."
  value       = aws_iam_role.execution.arn
}
