-- tieout archive: messages Pub/Sub moved to the dead-letter topic after max_delivery_attempts
-- (DESIGN §10, §11: dead letters go into the archive). Written by the BigQuery subscription
-- `events-dead-letter-archive` (infra/pubsub.tf) with write_metadata and no table schema: data
-- is the message body as published (the canonical event JSON), attributes include
-- CloudPubSubDeadLetterSourceSubscription and CloudPubSubDeadLetterSourceDeliveryCount.
-- The report counts them; a replay re-publishes them after a fix.
--
-- Table names are written `${project}.${dataset}.<table>` (see sql/README.md for the substitution);
-- Terraform declares this table from infra/schemas/dead_letters.json.
CREATE TABLE IF NOT EXISTS `${project}.${dataset}.dead_letters` (
  subscription_name STRING OPTIONS (description = 'Pub/Sub metadata: the writing subscription'),
  message_id STRING OPTIONS (description = 'Pub/Sub metadata: the dead-letter message id'),
  publish_time TIMESTAMP OPTIONS (description = 'When it was dead-lettered; the partitioning column'),
  data STRING OPTIONS (description = 'The message body as published (canonical event JSON)'),
  attributes JSON OPTIONS (description = 'Message attributes, including the dead-letter source subscription and delivery count')
)
PARTITION BY DATE(publish_time)
CLUSTER BY subscription_name
OPTIONS (description = 'tieout dead-lettered bus messages');
