#!/bin/sh
exec python -c 'import swrt_hello; swrt_hello.main()'
