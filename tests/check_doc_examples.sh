#!/usr/bin/env bash
# Runs every ```sh example of README.md and docs/{guide,cookbook,semantics,scaling,performance}.md, so none
# can rot. (docs/gallery.md has its own test: docs/make-gallery.sh --check.)
#
#   tests/check_doc_examples.sh IMGPOOL [REPO_ROOT]
#
# Each block runs in a fresh temporary directory holding a copy of sample_images/, with `imgpool`
# on PATH and `build/imgpool` both the binary under test. Its commands run one after the other
# in one bash (so files and variables made by earlier lines are there for later ones); the first
# command that fails stops the block and fails the test, naming the file, line and command.
#
# What the examples may say about themselves, in comments:
#   # set-up ...                 (a comment line of its own, or after a command) not run: the
#   # multi-machine recipe ...   block, or that one command ("long run": a benchmark, minutes
#   # long run ...               of work and numbers no test judges). A skipped block with
#                                `#SBATCH --array=A-B` still runs as a job array on this machine,
#                                with fake SLURM_ARRAY_* variables and a small data/, and its
#                                shares together must write exactly what one task writes.
#   # needs: TOOL...             the block runs only if every TOOL is installed (else skipped)
#   CMD   # 9.0                  a trailing comment starting with a digit, '[' or '-DIGIT' is the
#         #  [7. 9.]]            output CMD must print; indented comment lines continue it
#   CMD   # exit 1: ...          CMD must exit with this status
set -uo pipefail
bin=$(realpath "$1")
root=$(cd "${2:-$(dirname "$0")/..}" && pwd)
docs=(README.md docs/guide.md docs/cookbook.md docs/semantics.md docs/scaling.md docs/performance.md)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/bin"
ln -s "$bin" "$tmp/bin/imgpool"
export PATH="$tmp/bin:$PATH"

blocks=0 commands=0 checked=0 skipped_blocks=0 skipped_commands=0 failures=0 simulated=0

# A fresh directory laid out like the repository's root.
fresh_dir() {
  local d=$tmp/run$1
  mkdir -p "$d/build"
  cp -r "$root/sample_images" "$d/"
  ln -s "$bin" "$d/build/imgpool"
  echo "$d"
}

# The trailing comment of one line ('' if none): text after the first ' #' outside quotes.
trailing_comment() {
  local line=$1 i c q=''
  for ((i = 0; i < ${#line}; i++)); do
    c=${line:i:1}
    if [ -n "$q" ]; then [ "$c" = "$q" ] && q=''
    elif [ "$c" = "'" ] || [ "$c" = '"' ]; then q=$c
    elif [ "$c" = '#' ] && ((i > 0)) && [[ ${line:i-1:1} == [[:space:]] ]]; then
      local rest=${line:i+1}
      echo "${rest# }"
      return
    fi
  done
}

is_marker() { [[ $1 == set-up* || $1 == multi-machine\ recipe* || $1 == long\ run* ]]; }
is_output() { [[ $1 == [0-9\[]* || $1 == -[0-9.]* ]]; }

# run_block FILE START LINES...: the block's lines, the first at line START+1 of FILE.
run_block() {
  local file=$1 start=$2
  shift 2
  local -a lines=("$@")
  local n=${#lines[@]} i text line comment tool
  blocks=$((blocks + 1))

  # Whole-block markers: column-0 comment lines.
  for line in "${lines[@]}"; do
    if [[ $line == '#'* ]]; then
      comment=${line#\#}
      comment=${comment# }
      if is_marker "$comment"; then
        skipped_blocks=$((skipped_blocks + 1))
        if [[ $(printf '%s\n' "${lines[@]}") =~ \#SBATCH\ --array=([0-9]+)-([0-9]+) ]]; then
          run_job_array "$file" "$start" "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}" "${lines[@]}"
        fi
        return
      fi
      if [[ $comment == needs:* ]]; then
        for tool in ${comment#needs:}; do
          if ! command -v "$tool" >/dev/null; then
            echo "skip $file:$((start + 1)): needs $tool"
            skipped_blocks=$((skipped_blocks + 1))
            return
          fi
        done
      fi
    fi
  done

  # The block as one script: each command in a group whose output, status and expectations are
  # checked before the next runs.
  local dir script
  dir=$(fresh_dir "$blocks")
  script=$dir/.block.sh
  {
    echo 'set -o pipefail'
    echo "__dir='$dir' __file='$file'"
    echo 'cd "$__dir"'
    cat <<'EOF'
__check() { # STATUS WANTED LINE EXPECTED-FILE
  local status=$1 wanted=$2 line=$3 expected=$4 ok=1
  [ "$status" = "$wanted" ] || ok=0
  if [ $ok = 1 ] && [ -n "$expected" ]; then
    diff <(sed 's/[[:space:]]*$//' "$expected") <(sed 's/[[:space:]]*$//' "$__dir/.out") >"$__dir/.diff" || ok=0
  fi
  [ $ok = 1 ] && return
  cd "$__dir"
  if [ "$status" = "$wanted" ]; then echo "FAIL $__file:$line: wrong output"
  else echo "FAIL $__file:$line: exit status $status (wanted $wanted)"; fi
  sed 's/^/  | /' ".cmd$line"
  [ -s .diff ] && { echo "  output differs from the comment (< wanted, > got):"; sed 's/^/    /' .diff; }
  [ -s .err ] && { echo "  stderr:"; tail -n 5 .err | sed 's/^/    /'; }
  [ -s .out ] && [ ! -s .diff ] && { echo "  stdout:"; tail -n 5 .out | sed 's/^/    /'; }
  exit 1
}
EOF
  } >"$script"

  i=0
  while ((i < n)); do
    line=${lines[i]}
    if [[ -z ${line//[[:space:]]/} || $line == '#'* || $line =~ ^[[:space:]]+# ]]; then
      i=$((i + 1))
      continue
    fi
    # One command: add lines until bash sees a whole command.
    local first=$((start + 1 + i)) last_line
    text=$line
    last_line=$line
    i=$((i + 1))
    while ((i < n)); do
      local err
      err=$(bash -n -c "$text" 2>&1 >/dev/null)
      if [[ $? = 0 && $err != *here-document* && $last_line != *\\ ]]; then break; fi
      text+=$'\n'${lines[i]}
      last_line=${lines[i]}
      i=$((i + 1))
    done
    comment=$(trailing_comment "$last_line")
    if is_marker "$comment"; then
      skipped_commands=$((skipped_commands + 1))
      continue
    fi
    local wanted=0 expected=''
    if [[ $comment =~ ^exit\ ([0-9]+) ]]; then
      wanted=${BASH_REMATCH[1]}
    elif is_output "$comment"; then
      expected=$dir/.expected$first
      printf '%s\n' "$comment" >"$expected"
      # indented comment lines right after continue the expected output
      while ((i < n)) && [[ ${lines[i]} =~ ^[[:space:]]+#\ ?(.*)$ ]]; do
        printf '%s\n' "${BASH_REMATCH[1]}" >>"$expected"
        i=$((i + 1))
      done
      checked=$((checked + 1))
    fi
    commands=$((commands + 1))
    printf '%s\n' "$text" >"$dir/.cmd$first"
    {
      echo '{'
      printf '%s\n' "$text"
      echo '} >"$__dir/.out" 2>"$__dir/.err" </dev/null'
      echo "__check \$? $wanted $first '$expected'"
    } >>"$script"
  done

  # Blocks run side by side, at most $max at a time; results are read at the end.
  while (($(jobs -rp | wc -l) >= max)); do wait -n; done
  (
    t0=$EPOCHREALTIME
    cd "$dir" && timeout 60 bash "$script" >.log 2>&1
    echo $? >.rc
    [ -z "${DOC_EXAMPLES_VERBOSE:-}" ] || echo "$file:$((start + 1)): $(awk "BEGIN { print $EPOCHREALTIME - $t0 }") s" >>.log
  ) &
  run_dirs+=("$dir")
  run_names+=("$file:$((start + 1))")
}

# A Slurm job array on this machine: every task with fake SLURM_* variables, over a small data/.
run_job_array() {
  local file=$1 start=$2 lo=$3 hi=$4
  shift 4
  local count=$((hi - lo + 1)) dir one id
  dir=$(fresh_dir "slurm$start")
  printf '%s\n' "$@" >"$dir/job.sh"
  (cd "$dir" && cp -r sample_images data && mkdir data/more && cp sample_images/cat.png data/more/)
  one=$(fresh_dir "slurm${start}one")
  cp -r "$dir/data" "$dir/job.sh" "$one/"
  local ok=1
  (cd "$one" && SLURM_ARRAY_TASK_ID=0 SLURM_ARRAY_TASK_COUNT=1 SLURM_CPUS_PER_TASK=2 \
    bash job.sh >.out 2>.err) || ok=0
  for ((id = lo; id <= hi; id++)); do
    while (($(jobs -rp | wc -l) >= max)); do wait -n; done
    (cd "$dir" && SLURM_ARRAY_TASK_ID=$id SLURM_ARRAY_TASK_COUNT=$count SLURM_CPUS_PER_TASK=1 \
      bash job.sh >.out$id 2>.err$id || echo "task $id failed" >>.failed) &
  done
  wait
  [ -e "$dir/.failed" ] && ok=0
  if [ $ok = 1 ]; then
    (cd "$one" && find out -type f 2>/dev/null | sort) >"$tmp/one.list"
    (cd "$dir" && find out -type f 2>/dev/null | sort) >"$tmp/shards.list"
    if [ ! -s "$tmp/one.list" ] || ! cmp -s "$tmp/one.list" "$tmp/shards.list"; then ok=0; fi
    while [ $ok = 1 ] && read -r f; do cmp -s "$one/$f" "$dir/$f" || ok=0; done <"$tmp/one.list"
  fi
  simulated=$((simulated + 1))
  if [ $ok = 0 ]; then
    failures=$((failures + 1))
    echo "FAIL $file:$((start + 1)): the Slurm job array, run here with $count fake tasks," \
      "failed or wrote other files than one task"
    cat "$dir"/.failed "$dir"/.err* "$one/.err" 2>/dev/null | tail -n 8 | sed 's/^/    /'
    keep=1
  fi
}

keep=0
start_time=$SECONDS
max=$(nproc)
((max < 4)) && max=4
((max > 8)) && max=8
run_dirs=() run_names=()
for doc in "${docs[@]}"; do
  path=$root/$doc
  [ -f "$path" ] || { echo "FAIL: $doc is missing"; failures=$((failures + 1)); continue; }
  mapfile -t all <"$path"
  in=0
  for ((ln = 0; ln < ${#all[@]}; ln++)); do
    l=${all[ln]}
    if [ $in = 0 ] && [[ $l =~ ^\`\`\`sh[[:space:]]*$ ]]; then
      in=1 block_start=$((ln + 1)) body=()
    elif [ $in = 1 ] && [[ $l =~ ^\`\`\`[[:space:]]*$ ]]; then
      in=0
      run_block "$doc" "$block_start" "${body[@]}"
    elif [ $in = 1 ]; then
      body+=("$l")
    fi
  done
done

wait
for ((b = 0; b < ${#run_dirs[@]}; b++)); do
  d=${run_dirs[b]}
  if [ "$(cat "$d/.rc" 2>/dev/null)" != 0 ]; then
    failures=$((failures + 1))
    keep=1
    cat "$d/.log"
    echo "  (block at ${run_names[b]}, run in $d)"
  elif [ -n "${DOC_EXAMPLES_VERBOSE:-}" ]; then
    tail -n 1 "$d/.log"
  fi
done

echo "doc examples: $blocks blocks; ran ${#run_dirs[@]} blocks, $commands commands" \
  "($checked outputs checked) and $simulated job arrays; skipped $skipped_blocks blocks and" \
  "$skipped_commands commands (set-up, multi-machine, missing tool); $((SECONDS - start_time)) s"
if [ $keep = 1 ]; then trap - EXIT; echo "work directories kept in $tmp"; fi
if [ $failures != 0 ]; then
  echo "doc examples: $failures failed"
  exit 1
fi
echo "doc examples: ok"
