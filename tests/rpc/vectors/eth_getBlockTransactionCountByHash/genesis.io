// genesis holds no transactions
>> {"jsonrpc":"2.0","id":1,"method":"eth_getBlockTransactionCountByHash","params":["0xe86e7049a36db1795232006c66a872b79f7bae9af174a2092173b09b8863179c"]}
<< {"jsonrpc":"2.0","id":1,"result":"0x0"}
