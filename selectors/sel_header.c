/* sel_header.c — which identifiers ActiveMQ resolves as message headers rather than
 * properties (PropertyExpression's JMS_PROPERTY_EXPRESSIONS table), so every accessor maps
 * them the same way. */
#include <string.h>

#include "sel.h"

static const struct { const char *name; sel_header_e id; } headers[] = {
    { "JMSDestination", SEL_HDR_DESTINATION },
    { "JMSReplyTo", SEL_HDR_REPLY_TO },
    { "JMSType", SEL_HDR_TYPE },
    { "JMSDeliveryMode", SEL_HDR_DELIVERY_MODE },
    { "JMSPriority", SEL_HDR_PRIORITY },
    { "JMSMessageID", SEL_HDR_MESSAGE_ID },
    { "JMSTimestamp", SEL_HDR_TIMESTAMP },
    { "JMSCorrelationID", SEL_HDR_CORRELATION_ID },
    { "JMSExpiration", SEL_HDR_EXPIRATION },
    { "JMSRedelivered", SEL_HDR_REDELIVERED },
    { "JMSXDeliveryCount", SEL_HDR_X_DELIVERY_COUNT },
    { "JMSXGroupID", SEL_HDR_X_GROUP_ID },
    { "JMSXUserID", SEL_HDR_X_USER_ID },
    { "JMSXGroupSeq", SEL_HDR_X_GROUP_SEQ },
    { "JMSXProducerTXID", SEL_HDR_X_PRODUCER_TXID },
    { "JMSActiveMQBrokerInTime", SEL_HDR_BROKER_IN_TIME },
    { "JMSActiveMQBrokerOutTime", SEL_HDR_BROKER_OUT_TIME },
    { "JMSActiveMQBrokerPath", SEL_HDR_BROKER_PATH },
    { "JMSXGroupFirstForConsumer", SEL_HDR_X_GROUP_FIRST_FOR_CONSUMER },
};

sel_header_e sel_header_lookup(const char *name, size_t len)
{
    if (len < 7 || memcmp(name, "JMS", 3) != 0) return SEL_HDR_NONE;
    for (size_t i = 0; i < sizeof headers / sizeof headers[0]; i++)
        if (strlen(headers[i].name) == len && memcmp(headers[i].name, name, len) == 0)
            return headers[i].id;
    return SEL_HDR_NONE;
}
