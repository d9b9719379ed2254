#!/usr/bin/env bash
# Builds the fedmcp launcher bundle of another commit (by default 0451641, the commit before the
# federation-core refactor of issue #13), for a before/after gateway run in one interleaved run:
#
#   BENCH_FEDMCP_BEFORE_LAUNCHER="$(bench/gateway/build-before.sh)" pnpm bench gateway
#
# usage: bench/gateway/build-before.sh [COMMIT] [DIRECTORY]   (default: 0451641 /tmp/fedmcp-before)
#
# The commit's tree is exported (`git archive`) into DIRECTORY, outside the repository, installed
# there with its own lockfile (`pnpm install --offline --frozen-lockfile`, online if the store
# lacks a package), and its launcher is bundled by that tree's own bench/gateway/build-launcher.ts,
# so the bundle holds that commit's fedmcp sources. The tree is an export, not a `git worktree`:
# nothing is registered in the repository's worktree list, and the tree stays after the script,
# as it must — the bundle imports its third-party packages by absolute paths into
# DIRECTORY/node_modules. Rerunning replaces DIRECTORY (only one this script created, or an empty one).
#
# Progress goes to stderr; stdout is the bundle's path alone.
set -euo pipefail

commit=${1:-0451641}
directory=$(realpath -m "${2:-/tmp/fedmcp-before}")
repository=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
pnpm=(npx -y pnpm@10)
marker=.fedmcp-before-commit

sha=$(git -C "$repository" rev-parse --verify --quiet "${commit}^{commit}") || {
  echo "build-before: no commit ${commit} in ${repository}" >&2
  exit 2
}
case "${directory}/" in
  "${repository}/"*)
    echo "build-before: ${directory} is inside the repository; pick a directory outside it" >&2
    exit 2
    ;;
esac
if [ -e "${directory}" ]; then
  if [ -f "${directory}/${marker}" ] || [ -z "$(ls -A "${directory}")" ]; then
    echo "build-before: replacing ${directory} ($(cat "${directory}/${marker}" 2>/dev/null || echo empty))" >&2
    rm -rf "${directory}"
  else
    echo "build-before: ${directory} exists and was not made by this script; remove it or pick another" >&2
    exit 2
  fi
fi

echo "build-before: exporting ${sha} to ${directory}" >&2
mkdir -p "${directory}"
git -C "${repository}" archive --format=tar "${sha}" | tar -x -C "${directory}"
printf '%s\n' "${sha}" >"${directory}/${marker}"
[ -f "${directory}/bench/gateway/build-launcher.ts" ] || {
  echo "build-before: ${sha} has no bench/gateway/build-launcher.ts" >&2
  exit 2
}

cd "${directory}"
echo "build-before: installing (offline, frozen lockfile)…" >&2
if ! "${pnpm[@]}" install --offline --frozen-lockfile >&2; then
  echo "build-before: the offline install failed; installing online…" >&2
  "${pnpm[@]}" install --prefer-offline --frozen-lockfile >&2
fi

echo "build-before: bundling the launcher with that tree's bench/gateway/build-launcher.ts…" >&2
bundle=$(node --import tsx --input-type=module -e "
  const { buildLauncher } = await import('./bench/gateway/build-launcher.ts');
  process.stdout.write(await buildLauncher());
")
case "${bundle}" in
  "${directory}/"*) ;;
  *)
    echo "build-before: the bundle landed at ${bundle}, not under ${directory}" >&2
    exit 1
    ;;
esac
# The bundle must hold the sources of that tree and import packages from its node_modules only.
if grep -q -F "${repository}/" "${bundle}" "${bundle}.map"; then
  echo "build-before: ${bundle} refers to ${repository}; it is not a build of ${sha} alone" >&2
  exit 1
fi
echo "build-before: launcher of ${sha} built" >&2
printf '%s\n' "${bundle}"
