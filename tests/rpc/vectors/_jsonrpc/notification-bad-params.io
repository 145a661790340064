// a notification with bad params gets no answer
>> {"jsonrpc":"2.0","method":"eth_getBalance","params":["nope"]}
