# swrt shell integration for zsh. Load it with:  eval "$(swrt hook zsh)"
#
# Keeps this shell on the selected runtime: this shell's `swrt activate`,
# else the nearest .swrt-runtime file (`swrt pin`), else the global choice.
# On a prompt where nothing changed it runs builtins only (no fork, no exec):
# it compares $PWD and the first line of a few tiny files with what it applied
# last, and calls `swrt hook-env zsh` only when they differ.

typeset -g __swrt_bin=@SWRT_BIN@
typeset -g __swrt_cur __swrt_applied
typeset -g __swrt_f_session __swrt_f_pin __swrt_f_global __swrt_f_gen

# One id per interactive shell, for its own choice (`swrt activate`, the TUI).
if [[ -z ${SWRT_SESSION-} ]]; then
    export SWRT_SESSION="$$-$RANDOM$RANDOM$RANDOM"
fi

# Sets __swrt_cur to what the fast path compares: builtins only.
__swrt_state() {
    emulate -L zsh
    local f line
    __swrt_cur="$PWD|${SWRT_ROOT-}|${SWRT_PROJECT-}|${SWRT_SESSION-}"
    for f in "$__swrt_f_session" "$__swrt_f_pin" "$__swrt_f_global" "$__swrt_f_gen"; do
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
    if out=$("$__swrt_bin" hook-env zsh); then
        eval "$out"
    fi
    __swrt_state
    __swrt_applied=$__swrt_cur
}

__swrt_prompt() {
    local st=$?
    __swrt_state
    if [[ $__swrt_cur != "$__swrt_applied" ]]; then
        __swrt_refresh
    fi
    return $st
}

# `swrt activate` and `swrt deactivate` change this shell, so their output is
# evaluated here; every other subcommand runs the binary as it is.
swrt() {
    case ${1-} in
    activate | deactivate)
        if (( ${@[(I)-h]} || ${@[(I)--help]} )); then
            "$__swrt_bin" "$@"
            return
        fi
        local out
        out=$("$__swrt_bin" "$1" --shell zsh "${@:2}") || return
        eval "$out"
        __swrt_state
        __swrt_applied=$__swrt_cur
        ;;
    *)
        "$__swrt_bin" "$@"
        ;;
    esac
}

# First in line, so the rest of the prompt sees the runtime; chpwd too, so a
# `cd` inside a command line already switches.
typeset -ag precmd_functions chpwd_functions
if (( ! ${precmd_functions[(I)__swrt_prompt]} )); then
    precmd_functions=(__swrt_prompt $precmd_functions)
fi
if (( ! ${chpwd_functions[(I)__swrt_prompt]} )); then
    chpwd_functions=(__swrt_prompt $chpwd_functions)
fi

__swrt_prompt
