# SPDX-License-Identifier: Apache-2.0
# What an installed ringsnap consists of, and the .deb that carries it (`cpack -G DEB` in the
# build directory): the binary, its man page (written from its own --help texts at build time),
# bash completion, the examples and the docs. Debian dependencies come from dpkg-shlibdeps, so
# they name exactly the runtime packages the binary links (libssh, yaml-cpp, spdlog, fmt, ...).

find_package(Python3 REQUIRED COMPONENTS Interpreter)

set(RINGSNAP_MAN_PAGE ${CMAKE_BINARY_DIR}/ringsnap.1)
add_custom_command(
    OUTPUT ${RINGSNAP_MAN_PAGE}.gz
    COMMAND Python3::Interpreter ${PROJECT_SOURCE_DIR}/packaging/make_man_page.py $<TARGET_FILE:ringsnap>
            ${RINGSNAP_MAN_PAGE}
    COMMAND gzip -9nf ${RINGSNAP_MAN_PAGE}
    DEPENDS ringsnap ${PROJECT_SOURCE_DIR}/packaging/make_man_page.py
    COMMENT "Writing the man page from ringsnap --help")
add_custom_target(man_page ALL DEPENDS ${RINGSNAP_MAN_PAGE}.gz)

include(GNUInstallDirs)
install(FILES ${RINGSNAP_MAN_PAGE}.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/ringsnap.bash-completion
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME ringsnap)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/examples/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/LICENSE DESTINATION ${CMAKE_INSTALL_DOCDIR})

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME ringsnap)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "back up and restore every node of a Cassandra cluster over SSH")
set(CPACK_PACKAGE_DESCRIPTION
    "ringsnap takes nodetool snapshots and incremental backups of every node of every data center at once, "
    "records them file by file in a manifest, verifies, archives, clears and restores them.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "ringsnap maintainers <maintainers@ringsnap.invalid>")
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
include(CPack)
