{{/*
Checks across values that the schema cannot word clearly; daemonset.yaml includes this first,
so helm fails with these sentences instead of rendering a pod that cannot work.
*/}}
{{- define "cdh.validate" -}}
{{- $d := .Values.daemonset -}}
{{- if and $d.manageStoreSecret (not (eq (empty $d.s3AccessKey) (empty $d.s3Secret))) -}}
{{- fail "daemonset.s3AccessKey and daemonset.s3Secret go together: set both, or leave both empty to use the pod's IAM identity (IRSA / instance role)" -}}
{{- end -}}
{{- end -}}
