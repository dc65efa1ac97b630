/*
 * zkswarmctl - the operator's view of a zkswarm cluster: what ZooKeeper
 * holds (nodes, volumes and their leases, networks and endpoints, pools and
 * addresses), the local daemon's answer, a repair of orphaned records, and
 * the files of configuration volumes (put, get, history, rollback...).
 *
 * The command line and the command table are in src/ctl/cli.c, the commands
 * in src/ctl/ (see include/zkswarm/ctl.h); this file sets up the process
 * around them: the library's log level and libcurl.
 */
#include <curl/curl.h>
#include <stdio.h>

#include "zkswarm/ctl_cli.h"
#include "zkswarm/log.h"

int main(int argc, char **argv)
{
	struct ctl_cli cli = {.out = stdout, .err = stderr};
	int rc = ctl_cli_parse(&cli, argc, argv);

	if (rc != CTL_CLI_RUN)
		return rc;
	/* The library's log is for the daemon; here only errors, unless asked. */
	zks_log_set_level(cli.verbose >= 2 ? ZKS_LOG_DEBUG
			  : cli.verbose	   ? ZKS_LOG_INFO
					   : ZKS_LOG_ERROR);
	/* Only status --socket talks to the daemon. */
	if (cli.opts.socket != NULL && curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		fprintf(stderr, "zkswarmctl: cannot initialise libcurl\n");
		return CTL_EXIT_PROBLEM;
	}
	rc = ctl_cli_run(&cli);
	if (cli.opts.socket != NULL)
		curl_global_cleanup();
	return rc;
}
