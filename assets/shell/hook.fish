# swrt shell integration for fish. Load it with:  swrt hook fish | source
#
# Keeps this shell on the selected runtime: this shell's `swrt activate`,
# else the nearest .swrt-runtime file (`swrt pin`), else the global choice.
# On a prompt where nothing changed it runs builtins only (no fork, no exec):
# it compares $PWD and the first line of a few tiny files with what it applied
# last, and calls `swrt hook-env fish` only when they differ.

set -g __swrt_bin @SWRT_BIN@

# One id per interactive shell, for its own choice (`swrt activate`, the TUI).
if test -z "$SWRT_SESSION"
    set -gx SWRT_SESSION $fish_pid-(random)(random)
end

# Sets __swrt_cur to what the fast path compares: builtins only.
function __swrt_state
    set -l cur "$PWD|$SWRT_ROOT|$SWRT_PROJECT|$SWRT_SESSION"
    for f in "$__swrt_f_session" "$__swrt_f_pin" "$__swrt_f_global" "$__swrt_f_gen"
        set -l line ''
        if test -n "$f"; and test -r "$f"
            read line <$f
        end
        set cur "$cur|$line"
    end
    if test -e "$PWD/.swrt-runtime"
        set cur "$cur|pinned-here"
    end
    set -g __swrt_cur $cur
end

# Asks swrt for the code that puts this shell on the selected runtime.
function __swrt_refresh
    $__swrt_bin hook-env fish | source
    __swrt_state
    set -g __swrt_applied $__swrt_cur
end

function __swrt_prompt --on-event fish_prompt
    set -l st $status
    __swrt_state
    if test "$__swrt_cur" != "$__swrt_applied"
        __swrt_refresh
    end
    return $st
end

# A `cd` inside a command line already switches.
function __swrt_on_pwd --on-variable PWD
    __swrt_prompt
end

# `swrt activate` and `swrt deactivate` change this shell, so their output is
# sourced here; every other subcommand runs the binary as it is.
function swrt
    switch "$argv[1]"
        case activate deactivate
            if contains -- -h $argv; or contains -- --help $argv
                $__swrt_bin $argv
                return
            end
            $__swrt_bin $argv[1] --shell fish $argv[2..-1] | source
            set -l st $pipestatus[1]
            __swrt_state
            set -g __swrt_applied $__swrt_cur
            return $st
        case '*'
            $__swrt_bin $argv
    end
end

__swrt_prompt
