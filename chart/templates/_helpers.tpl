{{/* Name used in the app.kubernetes.io/name label. */}}
{{- define "cdh.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels every object carries (Kubernetes recommended labels). */}}
{{- define "cdh.labels" -}}
app.kubernetes.io/name: {{ include "cdh.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ include "cdh.imageTag" . | trimPrefix "@" | trunc 63 | quote }}
app.kubernetes.io/component: agent
app.kubernetes.io/part-of: core-dump-handler
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end -}}

{{/* Namespace of every namespaced object: namespaceOverride (as in the original chart), else the release's. */}}
{{- define "cdh.namespace" -}}
{{- default .Release.Namespace .Values.namespaceOverride -}}
{{- end -}}

{{/*
"true" when the image values name the original (Rust) chart's image, icdh/core-dump-handler: a
values file carried over from it. That image cannot run this chart's command (the pod would
crash-loop), so this chart's own image is used instead, at its appVersion; NOTES.txt says so.
*/}}
{{- define "cdh.originalImage" -}}
{{- if eq (trimSuffix "/" .Values.image.repository) "icdh/core-dump-handler" }}true{{ end -}}
{{- end -}}

{{/* Image tag: image.tag, else the chart's appVersion. A value starting with @ is a digest. */}}
{{- define "cdh.imageTag" -}}
{{- if include "cdh.originalImage" . }}{{ .Chart.AppVersion }}{{ else }}{{ default .Chart.AppVersion .Values.image.tag }}{{ end -}}
{{- end -}}

{{/* registry/repository: the values' own, or this chart's (the values.yaml defaults) for the original's. */}}
{{- define "cdh.image" -}}
{{- $tag := include "cdh.imageTag" . -}}
{{- $sep := ternary "" ":" (hasPrefix "@" $tag) -}}
{{- $repo := printf "%s/%s" .Values.image.registry .Values.image.repository -}}
{{- if include "cdh.originalImage" . }}{{ $repo = "ghcr.io/core-dump-handler/core-dump-handler" }}{{ end -}}
{{- printf "%s%s%s" $repo $sep $tag -}}
{{- end -}}

{{- define "cdh.serviceAccountName" -}}
{{- .Values.serviceAccount.name -}}
{{- end -}}

{{/*
A Kubernetes quantity (plain bytes or Ki/Mi/Gi/Ti) as a byte count string. Written out by hand
because YAML numbers reach templates as float64 and would print as 5.36870912e+10.
*/}}
{{- define "cdh.bytes" -}}
{{- $q := toString . -}}
{{- $units := dict "" 1 "Ki" 1024 "Mi" 1048576 "Gi" 1073741824 "Ti" 1099511627776 -}}
{{- $num := regexReplaceAll "^([0-9]+)(Ki|Mi|Gi|Ti)?$" $q "${1}" -}}
{{- $unit := regexReplaceAll "^([0-9]+)(Ki|Mi|Gi|Ti)?$" $q "${2}" -}}
{{- mul (int64 $num) (get $units $unit) | toString -}}
{{- end -}}

{{/* Host path of the runtime socket: hostContainerRuntimeEndpoint, else the path in crioEndpoint. */}}
{{- define "cdh.runtimeSocket" -}}
{{- $d := .Values.daemonset -}}
{{- default (trimPrefix "unix://" $d.crioEndpoint) $d.hostContainerRuntimeEndpoint -}}
{{- end -}}

{{/* True ("true") when path (first) is the host directory or below it (second). */}}
{{- define "cdh.under" -}}
{{- $p := index . 0 | trimSuffix "/" -}}{{- $root := index . 1 | trimSuffix "/" -}}
{{- if or (eq $p $root) (hasPrefix (printf "%s/" $root) $p) }}true{{ end -}}
{{- end -}}

{{/*
The hostPath mounts the agent needs, as a list of dicts {name, path}: the host directory, plus the
core and event directories only when they lie outside it (the original chart allowed that).
*/}}
{{- define "cdh.hostDirs" -}}
{{- $d := .Values.daemonset -}}
- {name: host-dir, path: {{ $d.hostDirectory | quote }}}
{{- if not (include "cdh.under" (list $d.coreDirectory $d.hostDirectory)) }}
- {name: core-dir, path: {{ $d.coreDirectory | quote }}}
{{- end }}
{{- if not (include "cdh.under" (list $d.eventDirectory $d.hostDirectory)) }}
- {name: event-dir, path: {{ $d.eventDirectory | quote }}}
{{- end }}
{{- end -}}

{{/* The agent's volumeMounts: host paths appear at the same path inside. */}}
{{- define "cdh.volumeMounts" -}}
{{- range (include "cdh.hostDirs" . | fromYamlArray) }}
- name: {{ .name }}
  mountPath: {{ .path | quote }}
{{- end }}
{{- if .Values.daemonset.mountContainerRuntimeEndpoint }}
- name: container-runtime
  mountPath: {{ include "cdh.runtimeSocket" . | dir | quote }}
  readOnly: true
{{- end }}
{{- end -}}

{{/* extraEnvVars: a list, or a YAML string (templated, as the original chart did). */}}
{{- define "cdh.extraEnv" -}}
{{- $v := .Values.daemonset.extraEnvVars -}}
{{- if kindIs "string" $v }}{{ tpl $v . }}{{ else }}{{ toYaml $v }}{{ end -}}
{{- end -}}

{{/*
Sidecars' volumeMounts: the core and event directories only, never HOST_DIR itself. A sidecar that
could write HOST_DIR could replace cdc.cjs or node, which the kernel runs as root at the next
crash, and could read .env (S3 keys). Directories under HOST_DIR come in through subPath.
*/}}
{{- define "cdh.sidecarMounts" -}}
{{- $d := .Values.daemonset -}}
{{- range (list (list "core-dir" $d.coreDirectory) (list "event-dir" $d.eventDirectory)) }}
{{- $name := index . 0 }}{{ $path := index . 1 | trimSuffix "/" }}{{ $root := $d.hostDirectory | trimSuffix "/" }}
{{- if include "cdh.under" (list $path $root) }}
{{- if eq $path $root }}{{ fail (printf "daemonset.sidecarContainers: %s is daemonset.hostDirectory itself; sidecars may not see it (it holds .env and the programs the kernel runs)" $name) }}{{ end }}
- name: host-dir
  mountPath: {{ $path | quote }}
  subPath: {{ trimPrefix (printf "%s/" $root) $path | quote }}
{{- else }}
- name: {{ $name }}
  mountPath: {{ $path | quote }}
{{- end }}
{{- end }}
{{- end -}}
