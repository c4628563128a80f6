# Optional alarms (create_alarms): what an operator pages on. The deny
# ratio reads the function's own EMF metrics (metrics = true); errors,
# throttles and p99 duration are Lambda's. A REST API deny is the function
# error `Unauthorized`, so on REST APIs the Errors alarm also counts denies.

locals {
  alarm_actions = var.alarm_sns_topic_arn == null ? [] : [var.alarm_sns_topic_arn]
  alarms        = var.create_alarms ? 1 : 0
  function_dims = { FunctionName = var.name }
}

resource "aws_cloudwatch_metric_alarm" "deny_ratio" {
  count               = var.create_alarms && var.metrics ? 1 : 0
  alarm_name          = "${var.name}-deny-ratio"
  alarm_description   = "Denies / decisions above ${var.alarm_deny_ratio} for 5 minutes (EMF metrics in ${var.metrics_namespace})."
  comparison_operator = "GreaterThanThreshold"
  evaluation_periods  = 1
  threshold           = var.alarm_deny_ratio
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags

  metric_query {
    id          = "ratio"
    expression  = "IF(decisions > 0, denies / decisions, 0)"
    label       = "deny ratio"
    return_data = true
  }
  metric_query {
    id = "denies"
    metric {
      namespace   = var.metrics_namespace
      metric_name = "Decisions"
      dimensions  = { FunctionName = var.name, Outcome = "deny" }
      period      = 300
      stat        = "Sum"
    }
  }
  metric_query {
    id = "decisions"
    metric {
      namespace   = var.metrics_namespace
      metric_name = "Decisions"
      dimensions  = local.function_dims
      period      = 300
      stat        = "Sum"
    }
  }
}

# Any function error or throttle over 5 minutes: a throttled authorizer is a
# 500 at API Gateway; on REST APIs a deny is the error `Unauthorized` and
# counts in Errors.
resource "aws_cloudwatch_metric_alarm" "lambda" {
  for_each = var.create_alarms ? {
    errors    = { metric = "Errors", what = "Function errors (AWS/Lambda Errors); on REST APIs a deny is the error Unauthorized and counts here" }
    throttles = { metric = "Throttles", what = "Function throttles (AWS/Lambda Throttles): API Gateway answers 500 for a throttled authorizer" }
  } : {}
  alarm_name          = "${var.name}-${each.key}"
  alarm_description   = "${each.value.what}, over 5 minutes."
  namespace           = "AWS/Lambda"
  metric_name         = each.value.metric
  dimensions          = local.function_dims
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "p99_duration" {
  count               = local.alarms
  alarm_name          = "${var.name}-p99-duration"
  alarm_description   = "p99 Duration above ${var.alarm_p99_duration_ms} ms over 5 minutes (AWS/Lambda Duration)."
  namespace           = "AWS/Lambda"
  metric_name         = "Duration"
  dimensions          = local.function_dims
  extended_statistic  = "p99"
  period              = 300
  evaluation_periods  = 1
  threshold           = var.alarm_p99_duration_ms
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags
}
