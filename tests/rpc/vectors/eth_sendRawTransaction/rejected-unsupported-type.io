// refused with -32003 naming the reason: transaction type 3 (blobs) is not supported
>> {"jsonrpc":"2.0","id":1,"method":"eth_sendRawTransaction","params":["0x03c0"]}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32003,"message":"UnsupportedTransactionType: transaction type 0x03 is not supported","data":{"reason":"UnsupportedTransactionType"}}}
