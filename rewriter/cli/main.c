/* Entry point of sst-rewrite. Everything it does is in the sst_cli library
 * (cli/run.c), so tests can drive the same code in-process. */
#include "cli.h"

int main(int argc, char **argv)
{
    return sst_cli_main(argc, argv);
}
