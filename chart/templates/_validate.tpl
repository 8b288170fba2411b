{{/*
Checks across values that the schema cannot word clearly; daemonset.yaml includes this first,
so helm fails with these sentences instead of rendering a pod that cannot work.
*/}}
{{- define "cdh.validate" -}}
{{- $d := .Values.daemonset -}}
{{- if and $d.manageStoreSecret (not (eq (empty $d.s3AccessKey) (empty $d.s3Secret))) -}}
{{- fail "daemonset.s3AccessKey and daemonset.s3Secret go together: set both, or leave both empty to use the pod's IAM identity (IRSA / instance role)" -}}
{{- end -}}
{{- if and $d.azureContainer (or $d.s3BucketName $d.s3AccessKey $d.s3Secret $d.s3Endpoint) -}}
{{- fail "daemonset.azureContainer chooses Azure Blob Storage, but S3 settings are set too (s3BucketName, s3AccessKey, s3Secret or s3Endpoint): choose one store" -}}
{{- end -}}
{{- if and $d.azureContainer (not (or $d.azureConnectionString $d.azureAccount)) -}}
{{- fail "daemonset.azureContainer needs daemonset.azureAccount (with azureKey, azureSasToken or azureWorkloadIdentity) or daemonset.azureConnectionString" -}}
{{- end -}}
{{- if and $d.azureWorkloadIdentity (or $d.azureKey $d.azureSasToken $d.azureConnectionString) -}}
{{- fail "daemonset.azureWorkloadIdentity uses the pod's federated identity: leave azureKey, azureSasToken and azureConnectionString empty" -}}
{{- end -}}
{{- end -}}
