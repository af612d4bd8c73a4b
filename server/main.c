/* hermod entry point (grows into the full broker). */
#include <stdio.h>

#include <apr_general.h>

#include "hm_log.h"

int main(int argc, const char *const *argv)
{
    apr_app_initialize(&argc, &argv, NULL);
    hm_info("hermod starting");
    apr_terminate();
    return 0;
}
