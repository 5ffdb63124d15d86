# SPDX-License-Identifier: Apache-2.0
# Compiler settings shared by every first-party target (library, executable, tests).

add_library(ringsnap_warnings INTERFACE)
target_compile_options(ringsnap_warnings INTERFACE
    -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
    -Woverloaded-virtual -Wimplicit-fallthrough)
# g++ 12 reports -Wrestrict on plain std::string assignments inlined at -O2 (GCC bug 105329).
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(ringsnap_warnings INTERFACE -Wno-restrict)
endif()
if(RINGSNAP_WARNINGS_AS_ERRORS)
    target_compile_options(ringsnap_warnings INTERFACE -Werror)
endif()
