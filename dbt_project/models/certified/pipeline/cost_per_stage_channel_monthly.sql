{{ cost_per_stage_monthly('channel') }}
