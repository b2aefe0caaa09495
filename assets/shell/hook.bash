# swrt shell integration for bash. Load it with:  eval "$(swrt hook bash)"
#
# Keeps this shell on the selected runtime: this shell's `swrt activate`,
# else the nearest .swrt-runtime file (`swrt pin`), else the global choice.
# On a prompt where nothing changed it runs builtins only (no fork, no exec):
# it compares $PWD and the first line of a few tiny files with what it applied
# last, and calls `swrt hook-env bash` only when they differ.

__swrt_bin=@SWRT_BIN@

# One id per interactive shell, for its own choice (`swrt activate`, the TUI).
if [[ -z ${SWRT_SESSION-} ]]; then
    SWRT_SESSION="$$-$RANDOM$RANDOM$RANDOM"
    export SWRT_SESSION
fi

# Sets __swrt_cur to what the fast path compares: builtins only.
__swrt_state() {
    local f line
    __swrt_cur="$PWD|${SWRT_ROOT-}|${SWRT_PROJECT-}|${SWRT_SESSION-}"
    for f in "${__swrt_f_session-}" "${__swrt_f_pin-}" "${__swrt_f_global-}" "${__swrt_f_gen-}"; do
        line=
        if [[ -n $f && -r $f ]]; then
            # A last line without a newline makes read fail; it still sets line.
            read -r line <"$f" || :
        fi
        __swrt_cur+="|$line"
    done
    if [[ -e $PWD/.swrt-runtime ]]; then
        __swrt_cur+="|pinned-here"
    fi
}

# Asks swrt for the code that puts this shell on the selected runtime.
__swrt_refresh() {
    local out
    if out=$("$__swrt_bin" hook-env bash); then
        eval "$out"
    fi
    __swrt_state
    __swrt_applied=$__swrt_cur
}

__swrt_prompt() {
    local status=$?
    __swrt_state
    if [[ $__swrt_cur != "${__swrt_applied-}" ]]; then
        __swrt_refresh
    fi
    return "$status"
}

__swrt_wants_help() {
    local a
    for a in "$@"; do
        if [[ $a == -h || $a == --help ]]; then
            return 0
        fi
    done
    return 1
}

# `swrt activate` and `swrt deactivate` change this shell, so their output is
# evaluated here; every other subcommand runs the binary as it is.
swrt() {
    case ${1-} in
    activate | deactivate)
        if __swrt_wants_help "$@"; then
            "$__swrt_bin" "$@"
            return
        fi
        local out
        out=$("$__swrt_bin" "$1" --shell bash "${@:2}") || return
        eval "$out"
        __swrt_state
        __swrt_applied=$__swrt_cur
        ;;
    *)
        "$__swrt_bin" "$@"
        ;;
    esac
}

# Run first, so the rest of the prompt (and PS1) sees the runtime, and hand
# on $? untouched. PROMPT_COMMAND may be a string or (bash 5.1+) an array.
if [[ -n ${PROMPT_COMMAND+set} && ${PROMPT_COMMAND@a} == *a* ]]; then
    if [[ " ${PROMPT_COMMAND[*]} " != *" __swrt_prompt "* ]]; then
        PROMPT_COMMAND=(__swrt_prompt "${PROMPT_COMMAND[@]}")
    fi
elif [[ ${PROMPT_COMMAND-} != *__swrt_prompt* ]]; then
    # This branch runs only when PROMPT_COMMAND is a string (or unset).
    # shellcheck disable=SC2128,SC2178
    PROMPT_COMMAND="__swrt_prompt${PROMPT_COMMAND:+;$PROMPT_COMMAND}"
fi

__swrt_prompt
