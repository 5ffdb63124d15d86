# SPDX-License-Identifier: Apache-2.0
# Every dependency comes from a Debian -dev package through find_package: the build machines
# reach no network but Debian's archive, so there is no FetchContent and nothing vendored.
# Packages: libcli11-dev libspdlog-dev libfmt-dev nlohmann-json3-dev libssh-dev libyaml-cpp-dev
#           libgtest-dev (tests)

find_package(Threads REQUIRED)
find_package(CLI11 CONFIG REQUIRED)
find_package(spdlog CONFIG REQUIRED)
find_package(fmt CONFIG REQUIRED)
find_package(nlohmann_json CONFIG REQUIRED)
find_package(yaml-cpp CONFIG REQUIRED)
find_package(libssh CONFIG REQUIRED)

# Debian's libssh exports a plain `ssh` target with no namespace (style.md); give it one.
if(TARGET ssh AND NOT TARGET ssh::ssh)
    add_library(ssh::ssh ALIAS ssh)
endif()
# yaml-cpp 0.7 exports `yaml-cpp` without a namespace.
if(TARGET yaml-cpp AND NOT TARGET yaml-cpp::yaml-cpp)
    add_library(yaml-cpp::yaml-cpp ALIAS yaml-cpp)
endif()

if(RINGSNAP_BUILD_TESTS)
    find_package(GTest CONFIG REQUIRED)
endif()
