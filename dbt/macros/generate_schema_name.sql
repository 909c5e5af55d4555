{#
    Models land in exactly the datasets Terraform creates (crypto_staging,
    crypto_mart), never dbt's default "<target schema>_<custom schema>". An optional
    COINPULSE_DATASET_PREFIX lets tests keep their datasets apart on a shared
    BigQuery emulator.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ env_var('COINPULSE_DATASET_PREFIX', '') }}{{ custom_schema_name or target.schema }}
{%- endmacro %}
